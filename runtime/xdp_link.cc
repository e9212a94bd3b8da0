#include "tc2xdp/runtime/xdp_link.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <string>

namespace tc2xdp::runtime {

namespace {

uint32_t attach_flags(XdpMode mode) {
  switch (mode) {
    case XdpMode::kNative: return XDP_FLAGS_DRV_MODE;
    case XdpMode::kGeneric: return XDP_FLAGS_SKB_MODE;
    case XdpMode::kHardware: return XDP_FLAGS_HW_MODE;
  }
  return 0;
}

std::string attach_hint(int err, XdpMode mode) {
  switch (err) {
    case ENODEV: return "the device does not exist (in this network namespace)";
    case EBUSY:
    case EEXIST:
      return "another XDP program is attached to the device; remove it (ip link set DEV xdp off) "
             "or let tc2xdp manage it";
    case EOPNOTSUPP:
    case EINVAL:
      return mode == XdpMode::kNative ? "the driver has no native XDP; use --mode generic"
             : mode == XdpMode::kHardware
                 ? "the device cannot run XDP in hardware; use --mode native or generic"
                 : "the kernel refused the attachment";
    case EPERM: return "attaching XDP needs root (CAP_NET_ADMIN and CAP_BPF)";
    default: return {};
  }
}

}  // namespace

const char* xdp_mode_name(XdpMode mode) {
  switch (mode) {
    case XdpMode::kNative: return "native";
    case XdpMode::kGeneric: return "generic";
    case XdpMode::kHardware: return "hw";
  }
  return "?";
}

Result<XdpLink> XdpLink::attach(uint32_t ifindex, int prog_fd, XdpMode mode) {
  char name[IF_NAMESIZE];
  if (!if_indextoname(ifindex, name))  // the kernel says EINVAL here, which misleads
    return Error{"attach XDP to ifindex " + std::to_string(ifindex), ENODEV,
                 attach_hint(ENODEV, mode)};
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = attach_flags(mode));
  const int fd = bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, &opts);
  if (fd < 0)
    return Error{std::string("attach XDP (") + xdp_mode_name(mode) + ")", -fd,
                 attach_hint(-fd, mode)};
  return XdpLink(UniqueFd(fd));
}

Result<XdpLink> XdpLink::attach_tc_ingress(uint32_t ifindex, int prog_fd) {
  constexpr int kTcxIngress = 46;  // BPF_TCX_INGRESS (Linux 6.6), newer than libbpf 1.1's headers
  const int fd = bpf_link_create(prog_fd, static_cast<int>(ifindex),
                                 static_cast<bpf_attach_type>(kTcxIngress), nullptr);
  if (fd < 0)
    return Error{"attach the tc ingress companion (tcx)", -fd,
                 "mirred copies of passed frames need tcx (Linux 6.6 or later)"};
  return XdpLink(UniqueFd(fd));
}

Result<XdpLink> XdpLink::open_pinned(const std::string& path) {
  const int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return Error{"open pinned link " + path, -fd, ""};
  return XdpLink(UniqueFd(fd));
}

Status XdpLink::pin(const std::string& path) const {
  const int err = bpf_obj_pin(fd_.get(), path.c_str());
  if (err) return Error{"pin link at " + path, -err, ""};
  return Ok{};
}

Status XdpLink::update(int new_prog_fd, int expected_prog_fd) const {
  LIBBPF_OPTS(bpf_link_update_opts, opts);
  if (expected_prog_fd >= 0) {
    opts.flags = BPF_F_REPLACE;
    opts.old_prog_fd = expected_prog_fd;
  }
  const int err = bpf_link_update(fd_.get(), new_prog_fd, &opts);
  if (err) return Error{"replace the attached program", -err, ""};
  return Ok{};
}

Result<uint32_t> XdpLink::program_id() const {
  bpf_link_info info{};
  uint32_t len = sizeof info;
  const int err = bpf_obj_get_info_by_fd(fd_.get(), &info, &len);
  if (err) return Error{"bpf_obj_get_info_by_fd (link)", -err, ""};
  return info.prog_id;
}

Status XdpLink::detach() const {
  const int err = bpf_link_detach(fd_.get());
  if (err) return Error{"detach XDP link", -err, ""};
  return Ok{};
}

Status ensure_bpffs_dir(const std::string& dir) {
  struct statfs fs {};
  if (statfs("/sys/fs/bpf", &fs) != 0 || fs.f_type != BPF_FS_MAGIC) {
    mkdir("/sys/fs/bpf", 0755);
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") != 0)
      return Error{"mount bpffs at /sys/fs/bpf", errno, "tc2xdp needs root to pin its state"};
  }
  std::string path;
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Error{"mkdir " + path, errno, ""};
  }
  return Ok{};
}

}  // namespace tc2xdp::runtime
