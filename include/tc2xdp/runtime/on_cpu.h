// Running the calling thread on one CPU for a while: a BPF_PROG_TEST_RUN then runs there, and a
// per-CPU value it writes is that CPU's.
#pragma once

#include <sched.h>

namespace tc2xdp::runtime {

// Pins the calling thread to `cpu` while alive; restores its mask after.
class OnCpu {
 public:
  explicit OnCpu(int cpu) {
    ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ok_ = ok_ && sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OnCpu() {
    if (ok_) sched_setaffinity(0, sizeof saved_, &saved_);
  }
  OnCpu(const OnCpu&) = delete;
  OnCpu& operator=(const OnCpu&) = delete;
  bool ok() const { return ok_; }  // false: the CPU is offline, or the mask could not be read

 private:
  cpu_set_t saved_;
  bool ok_ = false;
};

}  // namespace tc2xdp::runtime
