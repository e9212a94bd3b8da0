#include "tc2xdp/runtime/test_run.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
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
  // The kernel copies out from data_meta; ctx_out says where the frame starts after it.
  xdp_md ctx_out{};

  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .repeat = static_cast<int>(options.repeat));
  if (!options.live_frames) {
    run.data_out = result.data_out.data();
    run.data_size_out = static_cast<uint32_t>(result.data_out.size());
  } else {
    run.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
  }
  if (with_ctx || !options.live_frames) {
    run.ctx_in = &ctx;
    run.ctx_size_in = sizeof(ctx);
  }
  if (!options.live_frames) {
    run.ctx_out = &ctx_out;
    run.ctx_size_out = sizeof(ctx_out);
  }
  if (bpf_prog_test_run_opts(prog_fd, &run) != 0) {
    const int error = errno;
    return Error{"bpf_prog_test_run_opts", error,
                 error == EINVAL && with_ctx ? "is ingress_ifindex/rx_queue_index valid?" : ""};
  }
  result.retval = run.retval;
  result.duration_ns = run.duration;
  result.data_out.resize(options.live_frames ? 0 : run.data_size_out);
  const size_t meta = std::min<size_t>(ctx_out.data, result.data_out.size());
  result.meta_out.assign(result.data_out.begin(), result.data_out.begin() + meta);
  result.data_out.erase(result.data_out.begin(), result.data_out.begin() + meta);
  return result;
}

}  // namespace tc2xdp::runtime
