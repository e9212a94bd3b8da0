// BPF_PROG_TEST_RUN for XDP programs: run a frame through a loaded program in the kernel.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

struct TestRunOptions {
  uint32_t repeat = 1;
  uint32_t ingress_ifindex = 0;  // nonzero: passed in xdp_md (the device must exist)
  uint32_t rx_queue_index = 0;   // with ingress_ifindex: must be < the device's rx queues
  bool live_frames = false;      // BPF_F_TEST_XDP_LIVE_FRAMES: really TX/redirect; no data_out
  uint32_t headroom_out = 512;   // extra data_out room for programs that grow the frame
};

struct TestRunResult {
  uint32_t retval = 0;            // the XDP action
  std::vector<uint8_t> data_out;  // the frame after the program (empty for live frames)
  std::vector<uint8_t> meta_out;  // the XDP metadata area the program left before the frame
  uint32_t duration_ns = 0;       // average per repetition, as the kernel measured it
};

Result<TestRunResult> test_run(int prog_fd, std::span<const uint8_t> frame,
                               const TestRunOptions& options = {});

}  // namespace tc2xdp::runtime
