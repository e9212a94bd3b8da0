#include "tc2xdp/runtime/flow_cache.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::runtime {

namespace {

// Stamps 1 to kFlowCacheHalf, then the rest: the halves the stamps' cycle is emptied by.
constexpr uint32_t kFlowCacheHalf = plan::kFlowCacheStamps / 2;
bool first_half(uint32_t stamp) {
  return stamp <= kFlowCacheHalf;
}

// Empties every way whose stamp is in the half of `stamp`: its meta only, and only if no packet
// changed it since it was read (a packet stamping from the other half may be writing the way's
// key, and a zeroed key under its meta would answer for the zero key).
Status empty_ways_of_half(MappedValue& flows, const plan::FlowCache& layout, uint32_t stamp) {
  const uint64_t sets = uint64_t{layout.cpus} * layout.sets + 1;  // and the CPU-less set
  for (uint64_t set = 0; set < sets; ++set) {
    for (uint32_t way = 0; way < plan::kFlowCacheWays; ++way) {
      const size_t at = plan::kFlowCacheHeader + set * layout.set_size() + 4 * way;
      auto meta = flows.load_u32(at);
      if (!meta) return meta.error();
      const uint32_t way_stamp = *meta >> 25;
      if (way_stamp == 0 || first_half(way_stamp) != first_half(stamp)) continue;
      if (auto replaced = flows.replace_u32(at, *meta, 0); !replaced) return replaced.error();
    }
  }
  return Ok{};
}

}  // namespace

Status retire_flow_answers(int flows_fd, const plan::FlowCache& layout) {
  if (flows_fd < 0 || !layout.enabled()) return Ok{};
  auto flows = MappedValue::map(flows_fd);
  if (!flows) return flows.error();
  return retire_flow_answers(*flows, layout);
}

Status retire_flow_answers(MappedValue& flows, const plan::FlowCache& layout) {
  if (!layout.enabled()) return Ok{};
  auto stamp_less_one = flows.load_word(0);
  if (!stamp_less_one) return stamp_less_one.error();
  const uint64_t next = (*stamp_less_one + 1) % plan::kFlowCacheStamps;
  const uint32_t stamp = static_cast<uint32_t>(next + 1);
  // Entering a half of the cycle: its stamps were last current a cycle ago, and a way still
  // holding one would read as current again. Once no packet that read the header then still runs
  // (an RCU grace period: XDP runs inside an RCU read section), none is written again, and those
  // there are emptied. A packet still stamping from the half being left is emptied when that
  // half comes round, after the grace period of its own turn.
  if (stamp == 1 || stamp == kFlowCacheHalf + 1) {
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) != 0)
      return Error{"membarrier (wait for packets stamping the flow cache)", errno, ""};
    if (auto s = empty_ways_of_half(flows, layout, stamp); !s) return s;
  }
  return flows.store(0, bytes_of(next));
}

}  // namespace tc2xdp::runtime
