// Which rules XDP can carry today, and what their action lists reduce to.
#pragma once

#include <string>

#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

// Empty if every key of the match compiles; otherwise the reason it does not.
std::string unsupported_match_reason(const ir::Match& match);

// An action list reduced to what XDP runs: frame rewrites in order, then one terminal.
struct Reduction {
  Terminal terminal;                  // kPunt when `reason` is set; `actions` is left unset
  std::vector<ir::ActionBody> steps;  // vlan, pedit, csum, skbedit mark, in action order
  DeviceTarget redirect;              // mirred's target, for kRedirect
  std::vector<DeviceTarget> sends;    // kFanout: the copies, then a redirect's target
  bool consumed_at_tc = false;        // kPass: the tc companion sends `sends`, then drops
  std::string reason;                 // why the rule is punted; empty when it is not
};

// Follows tcf_action_exec's control flow. Anything XDP cannot do exactly is a punt with a reason.
Reduction reduce_actions(const std::vector<ir::Action>& actions);

}  // namespace tc2xdp::plan
