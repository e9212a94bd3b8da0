// Which rules XDP can carry today, and what their action lists reduce to.
#pragma once

#include <string>

#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

// Empty if every key of the match compiles; otherwise the reason it does not.
std::string unsupported_match_reason(const ir::Match& match);

// Reduces an action list to one terminal, following tcf_action_exec's control flow. Sets `reason`
// and returns kPunt for anything XDP cannot do exactly. `redirect_dev` receives mirred's device.
Terminal reduce_actions(const std::vector<ir::Action>& actions, std::string& redirect_dev,
                        std::string& reason);

}  // namespace tc2xdp::plan
