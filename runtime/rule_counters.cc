#include "tc2xdp/runtime/rule_counters.h"

#include <time.h>

#include <cstring>

#include "tc2xdp/runtime/map_io.h"

namespace tc2xdp::runtime {

uint64_t last_hit_ns(uint32_t stored, uint64_t now_ns) {
  const uint64_t now_units = now_ns >> plan::kLastHitShift;
  const uint32_t behind = static_cast<uint32_t>(now_units) - stored;  // mod 2^32
  return (now_units - behind) << plan::kLastHitShift;
}

Result<uint32_t> read_last_hit(int last_hit_fd, uint32_t slot) {
  const uint32_t chunk = slot / plan::kU32Chunk;
  auto value = lookup_elem(last_hit_fd, bytes_of(chunk), 4 * plan::kU32Chunk);
  if (!value) return value.error();
  uint32_t stored;
  std::memcpy(&stored, value->data() + 4 * (slot % plan::kU32Chunk), 4);
  return stored;
}

Result<plan::RuleCounters> read_rule_counters(const StatsMap& stats, int last_hit_fd,
                                              uint32_t slot) {
  const plan::SlotCounts counts = stats.total(slot);
  plan::RuleCounters out{counts.packets, counts.bytes, 0};
  if (out.packets == 0) return out;
  auto stored = read_last_hit(last_hit_fd, slot);
  if (!stored) return stored.error();
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);  // bpf_ktime_get_coarse_ns()'s clock
  out.last_hit_ns = last_hit_ns(*stored, uint64_t(now.tv_sec) * 1000000000ull + now.tv_nsec);
  return out;
}

}  // namespace tc2xdp::runtime
