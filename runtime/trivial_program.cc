#include "tc2xdp/runtime/trivial_program.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>

namespace tc2xdp::runtime {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

int UniqueFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

Result<UniqueFd> load_trivial_xdp(uint32_t action, const char* name) {
  const bpf_insn program[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, static_cast<int32_t>(action)},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", program, 2, nullptr);
  if (fd < 0) return Error{"bpf_prog_load (constant XDP program)", -fd, "tc2xdp needs root"};
  return UniqueFd(fd);
}

}  // namespace tc2xdp::runtime
