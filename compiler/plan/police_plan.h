// Police actions in planning: how one reduces inside an action list, and which bucket (instance)
// each offloaded one runs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

// What a police step adds to the verifier's count: the bucket's branches under the lock and the
// verdicts' paths. Measured on this kernel: 8 rules with 8 distinct police lists verify in 5,210
// more instructions than the same rules with gact verdicts (about 650 a list, 200 of them the
// list's own).
inline constexpr uint64_t kPoliceStepInsns = 500;

// Empty when a list whose steps so far are `steps` (and mirred copies, when `copied`) can run
// `police`; else why the rule is punted.
std::string police_punt_reason(const ir::PoliceAction& police,
                               const std::vector<ir::ActionBody>& steps, bool copied);
// One of its verdicts is pipe: the list goes on after it.
bool police_pipes(const ir::PoliceAction& police);
// The terminal a list ending at a police step shows (its conform verdict; the step decides).
Terminal::Kind police_end(const ir::PoliceAction& police);
bool has_police(const std::vector<ir::ActionBody>& steps);
// A police step among `steps` can end the list with pass (a verdict ok).
bool police_may_pass(const std::vector<ir::ActionBody>& steps);
// Why a list that passes its frame with mirred copies (made by the tc companion) cannot hold such
// a police: the copies' tag is in the frame before the policer decides, so its pass would copy.
// Likewise for skbedit mark: the list writes its mark before its other steps.
inline constexpr const char* kMarkAfterPolice =
    "skbedit mark after a police that can pass the frame is not offloaded (the mark is written "
    "before the policer decides)";
inline constexpr const char* kPoliceBeforeTcCopies =
    "a police that can pass the frame before mirred copies of a passed frame is not offloaded "
    "(the copies are tagged before the policer decides)";
// Before a drop: the steps up to the last police stay (its bucket and counters see the frame, and
// an ok from it passes the frame as the steps before it left it); the rest are never seen.
void keep_policed_steps(std::vector<ir::ActionBody>& steps);

// The rule's police action, if any (a rule with more than one is punted).
const ir::Action* police_of(const ir::Rule& rule);

// Filters naming one tc action index share one bucket, at the stats slot of one of them (the
// owner: the lowest slot among those the previous program had, so a live bucket stays where it
// is; else the lowest). tc index -> instance id; `slots` by rule index.
std::map<uint32_t, uint32_t> shared_police_ids(const ir::RuleSet& rules,
                                               const std::vector<uint32_t>& slots,
                                               const std::map<RuleKey, uint32_t>& previous);

// After every rule is planned: the filters sharing a police index are punted together when one is
// punted or they configure it differently (one bucket cannot live both in XDP and in the kernel);
// then plan.policers.
void plan_policers(Plan& plan, const ir::RuleSet& rules, Diagnostics& diags);

}  // namespace tc2xdp::plan
