#include "tc2xdp/runtime/grace_period.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "tc2xdp/runtime/trivial_program.h"

namespace tc2xdp::runtime {

// Sets the one slot of a fresh ARRAY_OF_MAPS: the syscall returns only after synchronize_rcu().
Status wait_by_map_of_maps_update() {
  UniqueFd inner(bpf_map_create(BPF_MAP_TYPE_ARRAY, "t2x_gp_inner", 4, 4, 1, nullptr));
  if (inner.get() < 0) return Error{"grace period: create a map", errno, ""};
  LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = static_cast<__u32>(inner.get()));
  UniqueFd outer(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "t2x_gp", 4, 4, 1, &opts));
  if (outer.get() < 0) return Error{"grace period: create a map of maps", errno, ""};
  const uint32_t key = 0, value = static_cast<uint32_t>(inner.get());
  if (bpf_map_update_elem(outer.get(), &key, &value, BPF_ANY) != 0)
    return Error{"grace period: update a map of maps", errno, ""};
  return Ok{};
}

Status wait_for_running_programs() {
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0) return Ok{};
  return wait_by_map_of_maps_update();
}

}  // namespace tc2xdp::runtime
