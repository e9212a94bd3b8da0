// Maps of u32 values (the last hits) store kU32Chunk of them to an element: an array map rounds
// every element up to 8 bytes, so one u32 per element would take twice its size. Value i is u32
// i % kU32Chunk of element i / kU32Chunk.
#pragma once

#include <cstdint>

namespace tc2xdp::plan {

inline constexpr uint32_t kU32Chunk = 16;
inline constexpr uint32_t u32_chunks(uint32_t n) {
  return (n + kU32Chunk - 1) / kU32Chunk;
}

}  // namespace tc2xdp::plan
