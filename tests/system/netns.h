// Throwaway network namespaces joined by veth pairs, for system tests (root).
//
//   TestTopology topo("xl");            // namespaces xl-a and xl-b
//   topo.add_veth("xla0", "xlb0");      // xla0 in xl-a, xlb0 in xl-b, both up, IPv6 off
//   { NetnsScope in_b(topo.b()); ... if_nametoindex("xlb0") ... }
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace tc2xdp::testing {

// Runs a shell command; throws with its output if it fails.
inline std::string sh(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = pclose(pipe);
  if (status != 0) throw std::runtime_error("command failed: " + command + "\n" + output);
  return output;
}

// Moves the calling thread into a named namespace for the scope's lifetime.
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name) {
    original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0)
      throw std::runtime_error("cannot enter netns " + name);
    close(target);
  }
  ~NetnsScope() {
    setns(original_, CLONE_NEWNET);
    close(original_);
  }
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int original_ = -1;
};

class TestTopology {
 public:
  explicit TestTopology(std::string prefix) : prefix_(std::move(prefix)) {
    cleanup();
    for (const auto& ns : {a(), b()}) {
      sh("ip netns add " + ns);
      sh("ip netns exec " + ns + " sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
      sh("ip netns exec " + ns + " sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
      sh("ip -n " + ns + " link set lo up");
    }
  }
  ~TestTopology() { cleanup(); }
  TestTopology(const TestTopology&) = delete;
  TestTopology& operator=(const TestTopology&) = delete;

  std::string a() const { return prefix_ + "-a"; }
  std::string b() const { return prefix_ + "-b"; }

  // A veth pair with `in_a` in namespace a and `in_b` in namespace b (or both in b).
  void add_veth(const std::string& in_a, const std::string& in_b, bool both_in_b = false) {
    sh("ip link add " + in_a + " type veth peer name " + in_b);
    sh("ip link set " + in_a + " netns " + (both_in_b ? b() : a()));
    sh("ip link set " + in_b + " netns " + b());
    sh("ip -n " + (both_in_b ? b() : a()) + " link set " + in_a + " up");
    sh("ip -n " + b() + " link set " + in_b + " up");
  }

  void cleanup() {
    for (const auto& ns : {a(), b()}) std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
  }

 private:
  std::string prefix_;
};

}  // namespace tc2xdp::testing
