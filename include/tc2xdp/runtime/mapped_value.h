// An mmapable array map's values (a program's global data: one element; or the counters: one per
// CPU, back to back) mapped into this process, so single records of it are written in place
// instead of the whole value per write. Offsets count from the first element's start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

class MappedValue {
 public:
  // Maps the pages holding bytes [begin, end) of the value (all of it by default): the kernel
  // populates a mapping's every page up front, so a few records' edit maps only theirs.
  static Result<MappedValue> map(int map_fd, size_t begin = 0, size_t end = SIZE_MAX);
  MappedValue(MappedValue&& other) noexcept;
  MappedValue& operator=(MappedValue&&) = delete;
  MappedValue(const MappedValue&) = delete;
  ~MappedValue();

  size_t size() const { return size_; }  // every element's bytes, mapped or not
  // Stores `bytes` at `offset` (from the value's start, inside the mapped range) as aligned
  // 8-byte words (both must be multiples of 8), skipping
  // words that already hold their bytes: a program reading concurrently sees each word old or
  // new, never torn, and a word a change leaves alone is never rewritten.
  Status store(size_t offset, std::span<const uint8_t> bytes);
  // The aligned u64 at `offset` (inside the mapped range).
  Result<uint64_t> load_word(size_t offset) const;
  // The aligned u32 at `offset` replaced by `desired` if it holds `expected`, atomically, so a
  // program's store to it meanwhile is never overwritten. Whether it was replaced.
  Result<bool> replace_u32(size_t offset, uint32_t expected, uint32_t desired);
  Result<uint32_t> load_u32(size_t offset) const;

 private:
  MappedValue(uint8_t* base, size_t first, size_t length, size_t size)
      : base_(base), first_(first), length_(length), size_(size) {}
  uint8_t* base_ = nullptr;  // the value's byte `first_`
  size_t first_ = 0;         // a page boundary
  size_t length_ = 0;        // whole pages
  size_t size_ = 0;
};

// One write into a global data value: `bytes` at byte `offset` (both whole u64 words).
struct ValueWrite {
  size_t offset = 0;
  std::span<const uint8_t> bytes;
};

// Maps the pages `writes` span (once: the kernel populates a mapping's every page up front, and
// unmapping it interrupts the process's other CPUs) and stores each as MappedValue::store does.
Status store_in_place(int map_fd, std::span<const ValueWrite> writes);

}  // namespace tc2xdp::runtime
