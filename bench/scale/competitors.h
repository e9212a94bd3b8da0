// The classic-path competitors on the receiving veth: nftables on the netdev ingress hook, and
// Open vSwitch's userspace datapath (ovs-vswitchd with a netdev bridge, the veth as its port).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "classbench.h"

namespace bench {

class NftChain {
 public:
  // Loads the converted rules as table `table` on `dev`'s ingress hook; seconds taken in `load_s`.
  bool load(const std::vector<classbench::Filter>& filters, const std::string& table,
            const std::string& dev, double& load_s);
  // Per-rule counters in rule order, then the miss counter.
  std::vector<uint64_t> counters() const;
  void remove();

 private:
  std::string table_;
};

class OvsSwitch {
 public:
  // Starts ovsdb-server and ovs-vswitchd (pinned to `cpu`) with private run, db and log dirs under
  // `rundir`, in this network namespace, with bridge `bridge` (datapath_type=netdev, its LOCAL
  // tap up) and `port` on it.
  bool start(const std::string& rundir, const std::string& bridge, const std::string& port,
             int cpu);
  void stop();
  ~OvsSwitch() { stop(); }

  // Replaces the flows with the converted rules; seconds taken (flow file written and added).
  bool load(const std::vector<classbench::Filter>& filters, double& load_s);
  // Packets the datapath thread received (dpif-netdev's main-thread statistics, immediate).
  uint64_t packets_received() const;
  // Flow statistics per rule (cookie), then the misses (cookie 0); OVS pushes them every ~0.5 s, so
  // this waits until their total reaches `total` or `timeout_s` passes.
  std::vector<uint64_t> rule_counters(size_t rules, uint64_t total, double timeout_s) const;
  size_t flows() const { return flows_; }

 private:
  std::string rundir_, bridge_;
  size_t flows_ = 0;
  bool running_ = false;
};

}  // namespace bench
