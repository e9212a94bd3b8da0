// The table planner (lookup.h): fills Plan::tables and every chain's units.
#pragma once

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

// How a terminal reads in a record.
RecordKind record_kind(const Terminal& terminal);

// Whether the table checks `component` as a guard rather than packing it.
bool is_guard(const Table& table, const Component& component);

// Whether every bit of `narrow` is set in `wide` (a tuple's mask within a rule's).
bool mask_within(const std::vector<uint64_t>& narrow, const std::vector<uint64_t>& wide);

// A new tuple's mask for a rule of mask `mask`: only its fully masked bytes (address prefixes
// rounded down to whole bytes), so rules of nearby masks share the tuple.
std::vector<uint64_t> relaxed_mask(const std::vector<uint64_t>& mask,
                                   const std::vector<PackedComponent>& layout);

// Needs the rules' terminals, stats slots and chains planned.
void plan_lookup(Plan& plan, const ir::RuleSet& rules, LookupPolicy policy);

}  // namespace tc2xdp::plan
