#include "tc2xdp/runtime/mapped_value.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace tc2xdp::runtime {

Result<MappedValue> MappedValue::map(int map_fd, size_t begin, size_t end) {
  bpf_map_info info{};
  uint32_t info_size = sizeof(info);
  if (bpf_obj_get_info_by_fd(map_fd, &info, &info_size) != 0)
    return Error{"bpf_obj_get_info_by_fd", errno, "a global data map"};
  if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE))
    return Error{"map global data", EINVAL,
                 std::string("map '") + info.name + "' is not an mmapable array"};
  // The kernel lays the elements out back to back, each rounded up to 8 bytes.
  const size_t size = (size_t{info.value_size} + 7) / 8 * 8 * info.max_entries;
  end = std::min(end, size);
  if (begin >= end)
    return Error{"map global data", EINVAL,
                 "bytes " + std::to_string(begin) + " to " + std::to_string(end) + " of " +
                     std::to_string(size)};
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t first = begin / page * page;
  const size_t length = (end - first + page - 1) / page * page;
  void* base =
      mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, static_cast<off_t>(first));
  if (base == MAP_FAILED) return Error{"mmap", errno, std::string("map '") + info.name + "'"};
  return MappedValue(static_cast<uint8_t*>(base), first, length, size);
}

MappedValue::MappedValue(MappedValue&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      first_(other.first_),
      length_(other.length_),
      size_(other.size_) {}

MappedValue::~MappedValue() {
  if (base_) munmap(base_, length_);
}

Status MappedValue::store(size_t offset, std::span<const uint8_t> bytes) {
  if (offset % 8 || bytes.size() % 8 || offset < first_ ||
      offset + bytes.size() > std::min(first_ + length_, size_))
    return Error{"store in global data", EINVAL,
                 std::to_string(bytes.size()) + " bytes at " + std::to_string(offset) +
                     ", outside bytes " + std::to_string(first_) + " to " +
                     std::to_string(std::min(first_ + length_, size_)) + " mapped"};
  for (size_t at = 0; at < bytes.size(); at += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + at, 8);
    auto* target = reinterpret_cast<volatile uint64_t*>(base_ + (offset - first_) + at);
    if (*target != word) *target = word;
  }
  return Ok{};
}

Result<uint64_t> MappedValue::load_word(size_t offset) const {
  if (offset % 8 || offset < first_ || offset + 8 > std::min(first_ + length_, size_))
    return Error{"load from global data", EINVAL,
                 "the word at " + std::to_string(offset) + " is not mapped"};
  return *reinterpret_cast<const volatile uint64_t*>(base_ + (offset - first_));
}

Result<uint32_t> MappedValue::load_u32(size_t offset) const {
  if (offset % 4 || offset < first_ || offset + 4 > std::min(first_ + length_, size_))
    return Error{"load from global data", EINVAL,
                 "the u32 at " + std::to_string(offset) + " is not mapped"};
  return __atomic_load_n(reinterpret_cast<const uint32_t*>(base_ + (offset - first_)),
                         __ATOMIC_RELAXED);
}

Result<bool> MappedValue::replace_u32(size_t offset, uint32_t expected, uint32_t desired) {
  if (offset % 4 || offset < first_ || offset + 4 > std::min(first_ + length_, size_))
    return Error{"replace in global data", EINVAL,
                 "the u32 at " + std::to_string(offset) + " is not mapped"};
  return __atomic_compare_exchange_n(reinterpret_cast<uint32_t*>(base_ + (offset - first_)),
                                     &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

Status store_in_place(int map_fd, std::span<const ValueWrite> writes) {
  if (writes.empty()) return Ok{};
  size_t begin = SIZE_MAX, end = 0;
  for (const ValueWrite& w : writes) {
    begin = std::min(begin, w.offset);
    end = std::max(end, w.offset + w.bytes.size());
  }
  auto value = MappedValue::map(map_fd, begin, end);
  if (!value) return value.error();
  for (const ValueWrite& w : writes)
    if (auto s = value->store(w.offset, w.bytes); !s) return s;
  return Ok{};
}

}  // namespace tc2xdp::runtime
