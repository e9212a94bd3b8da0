// The police maps of a loaded program (codegen::kPoliceMap, kPoliceStatsMap): the runtime writes
// each police instance's configuration with a fresh bucket, keeps a live bucket whose action and
// configuration did not change, and reads buckets and counters back.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::runtime {

// bpf_ktime_get_ns's clock (CLOCK_MONOTONIC), in ns.
int64_t monotonic_ns();

struct PoliceMapFds {
  int buckets = -1;   // codegen::kPoliceMap
  int counters = -1;  // codegen::kPoliceStatsMap
};

// Writes every police instance of `plan`: its configuration and a bucket as tcf_police_init
// leaves it at `created_ns` (default: now), its per-CPU counters zeroed. With `keep_live`, an
// entry that already belongs to the same action with the same configuration
// (plan::policer_owner) is left alone, tokens and counters. Each entry is written whole under its
// lock (BPF_F_LOCK), so no packet sees half of one. Adds the writes to `writes`.
Status write_policers(const plan::Plan& plan, const PoliceMapFds& maps, bool keep_live,
                      std::optional<int64_t> created_ns = std::nullopt, uint32_t* writes = nullptr);

// One instance's entry (read under its lock) and its counters summed over CPUs.
struct PolicerReading {
  plan::PolicerValue value;
  plan::PoliceCounters counters;
};
Result<PolicerReading> read_policer(const PoliceMapFds& maps, uint32_t id);

// The policer a rule runs (plan.policers), if any.
const plan::Policer* policer_of_rule(const plan::Plan& plan, size_t rule_index);

}  // namespace tc2xdp::runtime
