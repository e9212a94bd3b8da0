#include "tc2xdp/runtime/flow_cache.h"

#include <cstdint>
#include <vector>

#include "tc2xdp/plan/flow_cache.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::runtime {

Status retire_flow_answers(int flows_fd) {
  if (flows_fd < 0) return Ok{};
  auto value = MappedValue::map(flows_fd, 0, 8);
  if (!value) return value.error();
  auto generation = value->load_word(0);
  if (!generation) return generation.error();
  uint64_t next = *generation + 1;
  // Programs stamp ways with u32(generation + 1); an empty way holds 0, which must never match.
  if (static_cast<uint32_t>(next + 1) == 0) ++next;
  if (static_cast<uint32_t>(next) < static_cast<uint32_t>(*generation)) {
    // The stamps wrapped: a way untouched for 2^32 changes would read as current again.
    auto all = MappedValue::map(flows_fd);
    if (!all) return all.error();
    const std::vector<uint8_t> zeros(all->size() - plan::kFlowCacheHeader, 0);
    if (auto s = all->store(plan::kFlowCacheHeader, zeros); !s) return s;
  }
  return value->store(0, bytes_of(next));
}

}  // namespace tc2xdp::runtime
