// A one-element array map's value (a program's global data, BPF_F_MMAPABLE) mapped into this
// process, so single records of it are written in place instead of the whole value per write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

class MappedValue {
 public:
  static Result<MappedValue> map(int map_fd);
  MappedValue(MappedValue&& other) noexcept;
  MappedValue& operator=(MappedValue&&) = delete;
  MappedValue(const MappedValue&) = delete;
  ~MappedValue();

  size_t size() const { return size_; }
  // Stores `bytes` at `offset` as aligned 8-byte words (both must be multiples of 8), skipping
  // words that already hold their bytes: a program reading concurrently sees each word old or
  // new, never torn, and a word a change leaves alone is never rewritten.
  Status store(size_t offset, std::span<const uint8_t> bytes);

 private:
  MappedValue(uint8_t* base, size_t size, size_t length)
      : base_(base), size_(size), length_(length) {}
  uint8_t* base_ = nullptr;
  size_t size_ = 0;    // the value's bytes
  size_t length_ = 0;  // the mapping's, in whole pages
};

}  // namespace tc2xdp::runtime
