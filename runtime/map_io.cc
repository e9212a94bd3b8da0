#include "tc2xdp/runtime/map_io.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "tc2xdp/runtime/libbpf_log.h"

namespace tc2xdp::runtime {

Result<int> possible_cpus() {
  install_libbpf_print();
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Error{"libbpf_num_possible_cpus", -cpus, ""};
  return cpus;
}

Result<std::vector<uint64_t>> read_percpu_u64(int map_fd, uint32_t key, size_t words) {
  Result<int> cpus = possible_cpus();
  if (!cpus) return cpus.error();
  // The kernel copies round_up(value_size, 8) bytes per possible CPU.
  std::vector<uint64_t> all(static_cast<size_t>(*cpus) * words);
  if (bpf_map_lookup_elem(map_fd, &key, all.data()) != 0) {
    return Error{"bpf_map_lookup_elem", errno, "per-CPU key " + std::to_string(key)};
  }
  std::vector<uint64_t> sums(words, 0);
  for (size_t cpu = 0; cpu < static_cast<size_t>(*cpus); ++cpu) {
    for (size_t w = 0; w < words; ++w) sums[w] += all[cpu * words + w];
  }
  return sums;
}

Result<uint64_t> read_percpu_counter(int map_fd, uint32_t key) {
  Result<std::vector<uint64_t>> sums = read_percpu_u64(map_fd, key, 1);
  if (!sums) return sums.error();
  return sums->front();
}

Status update_elem(int map_fd, std::span<const uint8_t> key, std::span<const uint8_t> value,
                   uint64_t flags) {
  if (bpf_map_update_elem(map_fd, key.data(), value.data(), flags) != 0) {
    return Error{"bpf_map_update_elem", errno, ""};
  }
  return Ok{};
}

Result<std::vector<uint8_t>> lookup_elem(int map_fd, std::span<const uint8_t> key,
                                         size_t value_size) {
  std::vector<uint8_t> value(value_size);
  if (bpf_map_lookup_elem(map_fd, key.data(), value.data()) != 0) {
    return Error{"bpf_map_lookup_elem", errno, ""};
  }
  return value;
}

}  // namespace tc2xdp::runtime
