// The plan of a rule set under one lookup policy, with default options otherwise.
#pragma once

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

inline Plan plan_for(const ir::RuleSet& set, LookupPolicy policy) {
  Diagnostics d;
  PlanOptions options;
  options.lookup = policy;
  return make_plan(set, options, d);
}

}  // namespace tc2xdp::plan
