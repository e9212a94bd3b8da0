// A rule's counters as the program keeps them: packets and bytes per CPU in the stats map
// (stats_map.h), the last hit once in the last-hit map (plan::SlotCounts, plan::kLastHitShift).
#pragma once

#include <cstdint>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/stats_map.h"

namespace tc2xdp::runtime {

// The full time of a stored last hit: the latest CLOCK_MONOTONIC time at or before `now_ns`
// whose units (plan::kLastHitShift) end in `stored`.
uint64_t last_hit_ns(uint32_t stored, uint64_t now_ns);

// The stored last hit of `slot` (u32 of a chunked element).
Result<uint32_t> read_last_hit(int last_hit_fd, uint32_t slot);

// Slot `slot`'s packets and bytes summed over CPUs, and its last hit (0 if it counted nothing:
// a slot taken over from a deleted rule keeps that rule's time until its first packet).
Result<plan::RuleCounters> read_rule_counters(const StatsMap& stats, int last_hit_fd,
                                              uint32_t slot);

}  // namespace tc2xdp::runtime
