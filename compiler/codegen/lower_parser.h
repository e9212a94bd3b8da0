// The generated flow dissector: walks the headers the plan asks for and extracts the flow key
// the way the kernel's flow dissector does for cls_flower (net/core/flow_dissector.c).
#pragma once

#include "codegen/lower_keys.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

class XdpFunction;

// Emits the parser at the builder's position and leaves the builder in the block after it, where
// every value of the returned key is available. Only the fields the plan names are extracted;
// with `walk` false nothing past the Ethernet header is dissected (no rule needs n_proto, a VLAN
// TPID or any deeper key).
ParsedKey lower_parser(XdpFunction& fn, const plan::ParsePlan& parse, bool walk);

// Whether some rule needs the dissector to go past the Ethernet header.
bool needs_walk(const plan::Plan& plan);

}  // namespace tc2xdp::codegen
