// An XDP attachment held by a bpf_link: atomic program replacement, pinnable so the attachment
// outlives the process that made it.
#pragma once

#include <cstdint>
#include <string>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace tc2xdp::runtime {

enum class XdpMode : uint8_t { kNative, kGeneric, kHardware };
const char* xdp_mode_name(XdpMode mode);

class XdpLink {
 public:
  // Attaches `prog_fd` to `ifindex` in `mode` through BPF_LINK_CREATE. The errors say what to do
  // (no such device, a program already attached outside tc2xdp, no native XDP in the driver).
  static Result<XdpLink> attach(uint32_t ifindex, int prog_fd, XdpMode mode);
  // The tc ingress companion's attachment (tcx, codegen::kTcCompanionProgramName): a bpf_link like
  // the XDP one, so pinning, update and detach are the same.
  static Result<XdpLink> attach_tc_ingress(uint32_t ifindex, int prog_fd);
  // Reopens a link pinned at `path`.
  static Result<XdpLink> open_pinned(const std::string& path);

  Status pin(const std::string& path) const;
  // Swaps the program atomically; with `expected_prog_fd` >= 0 only if that one is still attached.
  Status update(int new_prog_fd, int expected_prog_fd = -1) const;
  // The id of the program the link runs now.
  Result<uint32_t> program_id() const;
  // Detaches the program from the interface (the link object stays until closed or unpinned).
  Status detach() const;
  int fd() const { return fd_.get(); }

 private:
  explicit XdpLink(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Makes sure a BPF filesystem is mounted at /sys/fs/bpf (mounting one if not), and that `dir`
// exists below it.
Status ensure_bpffs_dir(const std::string& dir);

}  // namespace tc2xdp::runtime
