// The table planner (lookup.h): fills Plan::tables and every chain's units.
#pragma once

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

// Needs the rules' terminals, stats slots and chains planned.
void plan_lookup(Plan& plan, const ir::RuleSet& rules, LookupPolicy policy);

}  // namespace tc2xdp::plan
