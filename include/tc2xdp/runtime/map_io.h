// Reading and writing map elements by fd, including per-CPU values summed over CPUs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

// Possible CPUs (libbpf_num_possible_cpus): the number of slots in a per-CPU value.
Result<int> possible_cpus();

// Per-CPU value `key` of a PERCPU_ARRAY (u32 key) read as `words` u64s per CPU, summed.
Result<std::vector<uint64_t>> read_percpu_u64(int map_fd, uint32_t key, size_t words = 1);
// The first u64 of a per-CPU value, summed: a counter.
Result<uint64_t> read_percpu_counter(int map_fd, uint32_t key);

Status update_elem(int map_fd, std::span<const uint8_t> key, std::span<const uint8_t> value,
                   uint64_t flags = 0 /* BPF_ANY */);
// value_size bytes of `key`'s value, or an Error with ENOENT if absent.
Result<std::vector<uint8_t>> lookup_elem(int map_fd, std::span<const uint8_t> key,
                                         size_t value_size);

// The bytes of a trivially copyable object, for keys and values built as structs.
template <typename T>
std::span<const uint8_t> bytes_of(const T& object) {
  return {reinterpret_cast<const uint8_t*>(&object), sizeof(T)};
}

}  // namespace tc2xdp::runtime
