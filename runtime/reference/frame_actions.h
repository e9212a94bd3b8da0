// The effects of the actions that rewrite a frame (act_vlan, act_pedit, act_csum), applied to the
// frame as XDP sees it. Each returns false where the kernel's action would return TC_ACT_SHOT.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tc2xdp/ir/action.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference::detail {

// push / pop / modify of the outer tag. pop_eth and push_eth are not modelled (see semantics.md)
// and are rejected by the caller before this is reached.
bool apply_vlan(const ir::VlanAction& a, std::vector<uint8_t>& frame, std::string& note);

// Every key in order; a key whose header cannot be found or whose 32-bit word lies outside the
// frame stops the action (the kernel's `goto bad`: later keys are not applied, the action's
// verdict is still returned). Never fails the packet.
void apply_pedit(const ir::PeditAction& a, std::vector<uint8_t>& frame, std::string& note);

// Recomputes checksums per TCA_CSUM_UPDATE_FLAG_*; false when tcf_csum_ipv4/ipv6 fail (drop).
bool apply_csum(const ir::CsumAction& a, std::vector<uint8_t>& frame, std::string& note);

// act_police: the verdict (conform or exceed control) of police action `position` of `rule` on
// the frame, with its bucket and counters in options.police (police_model.cc).
ir::Control run_police(const ir::PoliceAction& p, const ir::Action& a, const ir::Rule& rule,
                       size_t position, std::span<const uint8_t> frame, const Options& options,
                       std::string& note);

}  // namespace tc2xdp::reference::detail
