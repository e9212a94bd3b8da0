#include "tc2xdp/runtime/flow_cache.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tc2xdp/runtime/grace_period.h"
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

// The layout the runtime wrote into the header before the program ran.
Result<plan::FlowCache> layout_in_header(const MappedValue& flows) {
  auto sets_and_words = flows.load_word(plan::kFlowCacheLayoutOffset);
  auto cpus = flows.load_word(plan::kFlowCacheLayoutOffset + 8);
  if (!sets_and_words) return sets_and_words.error();
  if (!cpus) return cpus.error();
  plan::FlowCache layout;
  layout.sets = static_cast<uint32_t>(*sets_and_words);
  layout.key_words = static_cast<uint32_t>(*sets_and_words >> 32);
  layout.cpus = static_cast<uint32_t>(*cpus);
  if (!layout.enabled() || layout.bytes() > flows.size())
    return Error{"read the flow cache's header", EINVAL,
                 "it names no layout that fits the map (" + std::to_string(layout.sets) +
                     " sets, " + std::to_string(layout.cpus) + " CPUs, " +
                     std::to_string(layout.key_words) + " key words)"};
  return layout;
}

}  // namespace

Result<plan::FlowCacheCounts> read_flow_cache_counts(int flows_fd) {
  auto flows = MappedValue::map(flows_fd);
  if (!flows) return flows.error();
  auto layout = layout_in_header(*flows);
  if (!layout) return layout.error();
  plan::FlowCacheCounts sum;
  for (uint32_t cpu = 0; cpu < layout->cpus; ++cpu) {
    const uint64_t at = layout->counts_offset() + uint64_t{cpu} * plan::kFlowCacheCountsLine;
    auto walks = flows->load_word(at + offsetof(plan::FlowCacheCounts, walks));
    if (!walks) return walks.error();
    sum.walks += *walks;
  }
  return sum;
}

Status write_flow_cache_layout(int flows_fd, const plan::FlowCache& layout) {
  if (!layout.enabled()) return Ok{};
  const uint64_t words[2] = {layout.sets | uint64_t{layout.key_words} << 32, layout.cpus};
  const ValueWrite write{plan::kFlowCacheLayoutOffset,
                         {reinterpret_cast<const uint8_t*>(words), sizeof words}};
  return store_in_place(flows_fd, {&write, 1});
}

Status retire_flow_answers(int flows_fd) {
  if (flows_fd < 0) return Ok{};
  auto flows = MappedValue::map(flows_fd);
  if (!flows) return flows.error();
  return retire_flow_answers(*flows);
}

Status retire_flow_answers(MappedValue& flows) {
  auto found = layout_in_header(flows);
  if (!found) return found.error();
  const plan::FlowCache& layout = *found;
  auto stamp_less_one = flows.load_word(0);
  if (!stamp_less_one) return stamp_less_one.error();
  const uint64_t next = (*stamp_less_one + 1) % plan::kFlowCacheStamps;
  const uint32_t stamp = static_cast<uint32_t>(next + 1);
  // Entering a half of the cycle: its stamps were last current a cycle ago, and a way still
  // holding one would read as current again. Once no packet that read the header then still runs,
  // none is written again, and those there are emptied. A packet still stamping from the half
  // being left is emptied when that half comes round, after the grace period of its own turn.
  if (stamp == 1 || stamp == kFlowCacheHalf + 1) {
    if (auto s = wait_for_running_programs(); !s) return s;
    if (auto s = empty_ways_of_half(flows, layout, stamp); !s) return s;
    // The ways emptied before the stamp that makes them current again (a weakly ordered CPU
    // could show the stamp first).
    std::atomic_thread_fence(std::memory_order_release);
  }
  return flows.store(0, bytes_of(next));
}

}  // namespace tc2xdp::runtime
