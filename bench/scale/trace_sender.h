// Sends a trace as live frames: an XDP program, run by BPF_PROG_TEST_RUN in live-frames mode on
// one end of a veth, writes the next trace frame over each packet and returns XDP_TX, so the peer
// receives the trace in order, cyclically, at the rate the peer can take.
#pragma once

#include <cstdint>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace bench {

class TraceSender {
 public:
  // `frames`: 64 bytes each; their count must be a power of two.
  static tc2xdp::Result<TraceSender> create(const std::vector<std::vector<uint8_t>>& frames);

  // Transmits `count` frames out of `ifindex` (the trace continues where it stopped).
  tc2xdp::Status send(uint32_t ifindex, uint32_t count) const;
  // The next frame sent is the trace's first.
  tc2xdp::Status rewind() const;

 private:
  tc2xdp::runtime::UniqueFd cursor_, frames_, program_;
};

}  // namespace bench
