#include "tc2xdp/runtime/stats_map.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <string>

#include "tc2xdp/runtime/map_io.h"

namespace tc2xdp::runtime {

Result<StatsShape> stats_shape(int fd) {
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return Error{"counters map info", errno, ""};
  constexpr uint32_t kCounts = sizeof(plan::SlotCounts);
  if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
      info.value_size % kCounts != 0 || info.value_size == 0)
    return Error{"open counters", EINVAL,
                 std::string("map '") + info.name + "' is not an mmapable array of " +
                     std::to_string(kCounts) + "-byte slot counts per CPU"};
  return StatsShape{info.max_entries, info.value_size / kCounts};
}

Result<StatsMap> StatsMap::open(int fd) {
  auto shape = stats_shape(fd);
  if (!shape) return shape.error();
  auto mapped = MappedValue::map(fd);
  if (!mapped) return mapped.error();
  return StatsMap(std::move(*mapped), *shape);
}

plan::SlotCounts StatsMap::on_cpu(uint32_t cpu, uint32_t slot) const {
  if (cpu >= shape_.cpus || slot >= shape_.slots) return {};
  const uint64_t at = shape_.offset(cpu, slot);
  return {mapped_.load_word(at + offsetof(plan::SlotCounts, packets)).value_or(0),
          mapped_.load_word(at + offsetof(plan::SlotCounts, bytes)).value_or(0)};
}

std::vector<plan::SlotCounts> StatsMap::per_cpu(uint32_t slot) const {
  std::vector<plan::SlotCounts> out;
  for (uint32_t cpu = 0; cpu < shape_.cpus; ++cpu) out.push_back(on_cpu(cpu, slot));
  return out;
}

plan::SlotCounts StatsMap::total(uint32_t slot) const {
  plan::SlotCounts sum;
  for (uint32_t cpu = 0; cpu < shape_.cpus; ++cpu) {
    const plan::SlotCounts c = on_cpu(cpu, slot);
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

Status StatsMap::store(uint32_t cpu, uint32_t slot, const plan::SlotCounts& counts) {
  if (cpu >= shape_.cpus || slot >= shape_.slots)
    return Error{"store counters", EINVAL,
                 "slot " + std::to_string(slot) + " of CPU " + std::to_string(cpu) + " is past " +
                     std::to_string(shape_.slots) + " slots of " + std::to_string(shape_.cpus) +
                     " CPUs"};
  return mapped_.store(shape_.offset(cpu, slot), bytes_of(counts));
}

Status StatsMap::zero(uint32_t slot) {
  for (uint32_t cpu = 0; cpu < shape_.cpus; ++cpu)
    if (auto s = store(cpu, slot, {}); !s) return s;
  return Ok{};
}

Status zero_stats_slots(int fd, const std::vector<uint32_t>& slots) {
  if (slots.empty()) return Ok{};
  auto shape = stats_shape(fd);
  if (!shape) return shape.error();
  static constexpr plan::SlotCounts kZero{};
  std::vector<ValueWrite> writes;
  for (uint32_t slot : slots) {
    if (slot >= shape->slots)
      return Error{
          "zero counters", EINVAL,
          "slot " + std::to_string(slot) + " is past the map's " + std::to_string(shape->slots)};
  }
  // One mapping per CPU: a CPU's slots are near each other, CPUs' elements far apart.
  for (uint32_t cpu = 0; cpu < shape->cpus; ++cpu) {
    writes.clear();
    for (uint32_t slot : slots) writes.push_back({shape->offset(cpu, slot), bytes_of(kZero)});
    if (auto s = store_in_place(fd, writes); !s) return s;
  }
  return Ok{};
}

}  // namespace tc2xdp::runtime
