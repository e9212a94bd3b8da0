// A two-instruction XDP program that returns a fixed action: the "empty program" benchmarks
// compare against, and the pass program a veth peer needs to receive redirected frames.
#pragma once

#include <cstdint>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release();

 private:
  int fd_ = -1;
};

// Loads `r0 = action; exit` as an XDP program (action: 1 drop, 2 pass, 3 tx).
Result<UniqueFd> load_trivial_xdp(uint32_t action, const char* name = "t2x_const");

}  // namespace tc2xdp::runtime
