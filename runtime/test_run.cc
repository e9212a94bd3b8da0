#include "tc2xdp/runtime/test_run.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>

#include "tc2xdp/runtime/libbpf_log.h"

namespace tc2xdp::runtime {

Result<TestRunResult> test_run(int prog_fd, std::span<const uint8_t> frame,
                               const TestRunOptions& options) {
  install_libbpf_print();
  TestRunResult result;
  if (!options.live_frames) result.data_out.resize(frame.size() + options.headroom_out);

  // The kernel wants data = 0 and data_end = frame size in a user-supplied xdp_md.
  xdp_md ctx{};
  ctx.data_end = static_cast<uint32_t>(frame.size());
  ctx.ingress_ifindex = options.ingress_ifindex;
  ctx.rx_queue_index = options.rx_queue_index;
  const bool with_ctx = options.ingress_ifindex != 0 || options.rx_queue_index != 0;

  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .repeat = static_cast<int>(options.repeat));
  if (!options.live_frames) {
    run.data_out = result.data_out.data();
    run.data_size_out = static_cast<uint32_t>(result.data_out.size());
  } else {
    run.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
  }
  if (with_ctx) {
    run.ctx_in = &ctx;
    run.ctx_size_in = sizeof(ctx);
  }
  if (bpf_prog_test_run_opts(prog_fd, &run) != 0) {
    const int error = errno;
    return Error{"bpf_prog_test_run_opts", error,
                 error == EINVAL && with_ctx ? "is ingress_ifindex/rx_queue_index valid?" : ""};
  }
  result.retval = run.retval;
  result.duration_ns = run.duration;
  result.data_out.resize(options.live_frames ? 0 : run.data_size_out);
  return result;
}

}  // namespace tc2xdp::runtime
