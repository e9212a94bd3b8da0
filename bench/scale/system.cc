#include "scale/system.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace bench {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string shell(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    if (status) *status = -1;
    return out;
  }
  char buf[65536];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int rc = pclose(pipe);
  if (status) *status = rc;
  return out;
}

bool shell_ok(const std::string& command) {
  int status = 0;
  const std::string out = shell(command + " 2>&1", &status);
  if (status != 0) std::cerr << "failed: " << command << "\n" << out;
  return status == 0;
}

namespace {

// ETHTOOL_SGRO, as `ethtool -K DEV gro on` does (no ethtool binary here).
bool enable_gro(const std::string& dev) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  ethtool_value value{ETHTOOL_SGRO, 1};
  ifreq request{};
  std::strncpy(request.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  request.ifr_data = reinterpret_cast<char*>(&value);
  const bool ok = ioctl(fd, SIOCETHTOOL, &request) == 0;
  close(fd);
  return ok;
}

}  // namespace

bool make_private_veth(const std::string& sender, const std::string& receiver) {
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET)");
    return false;
  }
  if (!shell_ok("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                " && ip link set lo up && ip link add " +
                sender + " type veth peer name " + receiver + " && ip link set " + sender +
                " up && ip link set " + receiver + " up"))
    return false;
  if (!enable_gro(receiver)) {
    std::perror("ETHTOOL_SGRO");
    return false;
  }
  return true;
}

uint64_t rx_packets(const std::string& dev) {
  const std::string json = shell("ip -s -j link show " + dev);
  const size_t rx = json.find("\"rx\":");
  if (rx == std::string::npos) return 0;
  const size_t packets = json.find("\"packets\":", rx);
  return packets == std::string::npos ? 0 : std::stoull(json.substr(packets + 10));
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

}  // namespace bench
