// One rule's share of planning, used by the whole-set planner and by in-place table edits so the
// two cannot disagree about a rule's terminal, punt reason or the headers it needs parsed.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

// Targets of mirred redirects (device and direction), and their devmap slots.
using RedirectSlots = std::map<DeviceTarget, uint32_t>;

// Files a rule's action list (rewrites, then its verdict): its Plan::action_lists index, or
// nullopt with the reason the rule must be punted.
using ActionSink = std::function<std::optional<uint32_t>(ActionList list, std::string& reason)>;

// `rule` planned at `index` with stats slot `slot`. A redirect to a device not yet in `redirects`
// is given the next slot there. Rewrites go to `actions`. A punted rule gets a warning in `diags`.
PlannedRule plan_rule(const ir::Rule& rule, size_t index, uint32_t slot, const PlanOptions& options,
                      RedirectSlots& redirects, const ActionSink& actions, Diagnostics& diags);

// Adds to `parse` what the program must parse for `rule` to evaluate `match`.
void note_fields(const ir::Rule& rule, const ir::Match& match, ParsePlan& parse);

// Whether a program parsing `have` parses everything `need` asks for.
bool parse_covers(const ParsePlan& have, const ParsePlan& need);

}  // namespace tc2xdp::plan
