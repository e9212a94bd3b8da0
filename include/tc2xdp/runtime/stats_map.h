// The counters map as the program keeps it (codegen::kStatsMap): an mmapable array with one element
// per possible CPU, each element every stats slot's plan::SlotCounts. A CPU counts only into its
// own element, so plain adds are race-free, and unlike a per-CPU map no kernel pointer is kept per
// slot (8 bytes a slot) and the runtime reads and zeroes single slots in place.
#pragma once

#include <cstdint>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::runtime {

struct StatsShape {
  uint32_t cpus = 0;   // elements
  uint32_t slots = 0;  // SlotCounts in each
  uint64_t offset(uint32_t cpu, uint32_t slot) const {
    return (uint64_t{cpu} * slots + slot) * sizeof(plan::SlotCounts);
  }
};

// The shape of counters map `fd`, or an error if it is not laid out as this build lays it out
// (a program attached by an older build kept per-CPU values).
Result<StatsShape> stats_shape(int fd);

class StatsMap {
 public:
  // Maps the whole map: for reading many slots (show, a carry).
  static Result<StatsMap> open(int fd);

  const StatsShape& shape() const { return shape_; }
  plan::SlotCounts on_cpu(uint32_t cpu, uint32_t slot) const;
  std::vector<plan::SlotCounts> per_cpu(uint32_t slot) const;
  plan::SlotCounts total(uint32_t slot) const;
  // Only into a slot no attached program counts into: a CPU's concurrent add would be lost.
  Status store(uint32_t cpu, uint32_t slot, const plan::SlotCounts& counts);
  // Every CPU's counts of `slot` zeroed, as store.
  Status zero(uint32_t slot);

 private:
  StatsMap(MappedValue mapped, StatsShape shape) : mapped_(std::move(mapped)), shape_(shape) {}
  MappedValue mapped_;
  StatsShape shape_;
};

// Zeroes `slots` on every CPU, mapping only the pages they are on. Slots no attached program
// counts into yet (a new rule's), as StatsMap::store.
Status zero_stats_slots(int fd, const std::vector<uint32_t>& slots);

}  // namespace tc2xdp::runtime
