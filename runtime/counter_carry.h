// Per-rule counters carried into a grown counters map without losing a packet.
//
// A program whose rules outgrow its counters map is swapped for one with a bigger map. The old
// program keeps counting until the swap, and a packet in flight may still count after it, so a
// copy taken before the swap misses the last packets and one taken after it races the new
// program's increments (a CPU's plain add would overwrite a write from user space). Hence two
// steps: seed() copies the old values into the new map while nothing runs on it (before the swap),
// and settle() (after the swap) waits for an RCU grace period, after which no CPU runs the old
// program, and adds what the old map counted since the seed into the new one, on each CPU, with an
// atomic add run on that CPU by a small BPF program, which the XDP program's own increments on
// that CPU (softirq: never interrupted by it) cannot interleave with.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/stats_map.h"

namespace tc2xdp::runtime {

// A program's counter maps: the counts, an element per CPU (stats_map.h), and the shared last
// hits (plan::SlotCounts).
struct CounterMapFds {
  int stats = -1, last_hit = -1;
};

class CounterCarry {
 public:
  // Copies `from`'s counters at each pair's first slot into `to` at its second. `to` must not
  // be attached yet. Last hits are copied here only: one the old program records after this is
  // at most the swap's time behind (a few ms, under a unit of plan::kLastHitShift).
  static Result<CounterCarry> seed(CounterMapFds from, CounterMapFds to,
                                   std::vector<std::pair<uint32_t, uint32_t>> slots);
  // After the swap: adds what `from` counted since seed() into `to`. Returns the packets carried
  // this way (those counted by the old program between the seed and its last run).
  Result<uint64_t> settle();

 private:
  CounterCarry(StatsMap from, int to_fd, uint32_t to_slots,
               std::vector<std::pair<uint32_t, uint32_t>> slots,
               std::vector<std::vector<plan::SlotCounts>> seeded)
      : from_(std::move(from)),
        to_(to_fd),
        to_slots_(to_slots),
        slots_(std::move(slots)),
        seeded_(std::move(seeded)) {}
  StatsMap from_;  // the old program's counters, mapped
  int to_;
  uint32_t to_slots_;
  std::vector<std::pair<uint32_t, uint32_t>> slots_;
  std::vector<std::vector<plan::SlotCounts>> seeded_;  // per pair, per CPU
};

}  // namespace tc2xdp::runtime
