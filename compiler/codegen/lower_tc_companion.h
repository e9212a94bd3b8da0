// The tc ingress companion program (tc2xdp/codegen/compile.h, kTcCompanionProgramName): for a
// frame the XDP program passed with metadata, sets skb->mark from the metadata's mark and clones
// the frame to every device of the action list its copy tag names.
#pragma once

#include <vector>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

class BpfModule;
struct MapRef;

// Emits `int tc2xdp_tc_in(struct __sk_buff *skb)` in section "tc". copy_maps[i] is list i's
// copies map when plan.action_lists[i].copies_at_tc(), else nullptr.
void lower_tc_companion(BpfModule& module, const plan::Plan& plan,
                     const std::vector<const MapRef*>& copy_maps);

}  // namespace tc2xdp::codegen
