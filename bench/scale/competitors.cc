#include "scale/competitors.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "nft.h"
#include "openflow.h"
#include "scale/system.h"

namespace bench {

bool NftChain::load(const std::vector<classbench::Filter>& filters, const std::string& table,
                    const std::string& dev, double& load_s) {
  table_ = table;
  const std::string path = "/tmp/" + table + ".nft";
  std::ofstream(path) << classbench::to_nft(
      filters, {.table = table, .device = dev, .policy = classbench::ActionPolicy::kDrop});
  const auto start = Clock::now();
  const bool ok = shell_ok("nft -f " + path);
  load_s = seconds_since(start);
  std::remove(path.c_str());
  return ok;
}

std::vector<uint64_t> NftChain::counters() const {
  // Each rule has exactly one counter, listed in rule order; the last one counts misses.
  const std::string text = shell("nft list chain netdev " + table_ + " ingress");
  std::vector<uint64_t> out;
  for (size_t at = text.find("counter packets "); at != std::string::npos;
       at = text.find("counter packets ", at + 1))
    out.push_back(std::stoull(text.substr(at + 16)));
  return out;
}

void NftChain::remove() {
  if (!table_.empty()) shell_ok("nft delete table netdev " + table_);
  table_.clear();
}

namespace {

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

bool OvsSwitch::start(const std::string& rundir, const std::string& bridge, const std::string& port,
                      int cpu) {
  rundir_ = rundir;
  bridge_ = bridge;
  // Every OVS tool finds the daemons' sockets and pidfiles through these.
  setenv("OVS_RUNDIR", rundir.c_str(), 1);
  setenv("OVS_DBDIR", rundir.c_str(), 1);
  setenv("OVS_LOGDIR", rundir.c_str(), 1);
  setenv("OVS_SYSCONFDIR", rundir.c_str(), 1);
  const std::string d = rundir;
  if (!shell_ok("rm -rf " + d + " && mkdir -p " + d + " && ovsdb-tool create " + d +
                "/conf.db /usr/share/openvswitch/vswitch.ovsschema"))
    return false;
  running_ = true;
  if (!shell_ok("ovsdb-server " + d + "/conf.db --remote=punix:" + d +
                "/db.sock --pidfile --detach --no-chdir --log-file=" + d + "/ovsdb-server.log") ||
      !shell_ok("ovs-vsctl --no-wait init") ||
      !shell_ok("taskset -c " + std::to_string(cpu) +
                " ovs-vswitchd --pidfile --detach --no-chdir --log-file=" + d +
                "/ovs-vswitchd.log -vconsole:off") ||
      !shell_ok("ovs-vsctl add-br " + bridge + " -- set bridge " + bridge +
                " datapath_type=netdev -- add-port " + bridge + " " + port) ||
      !shell_ok("ip link set " + bridge + " up"))
    return false;
  return true;
}

void OvsSwitch::stop() {
  if (!running_) return;
  running_ = false;
  for (const char* daemon : {"ovs-vswitchd", "ovsdb-server"}) {
    const pid_t pid = read_pid(rundir_ + "/" + daemon + ".pid");
    if (pid <= 0) continue;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool OvsSwitch::load(const std::vector<classbench::Filter>& filters, double& load_s) {
  classbench::OpenFlowOptions options;
  options.policy = classbench::ActionPolicy::kDrop;
  const std::string path = rundir_ + "/flows.of";
  const std::string text = classbench::to_openflow(filters, options);
  flows_ = 0;
  for (char c : text) flows_ += c == '\n';
  const auto start = Clock::now();
  std::ofstream(path) << text;
  const bool ok = shell_ok("ovs-ofctl del-flows " + bridge_) &&
                  shell_ok("ovs-ofctl add-flows " + bridge_ + " " + path);
  load_s = seconds_since(start);
  return ok;
}

uint64_t OvsSwitch::packets_received() const {
  const std::string text = shell("ovs-appctl dpif-netdev/pmd-stats-show 2>/dev/null");
  const size_t main = text.find("main thread");
  const size_t at = text.find("packets received:", main == std::string::npos ? 0 : main);
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + 17));
}

std::vector<uint64_t> OvsSwitch::rule_counters(size_t rules, uint64_t total,
                                               double timeout_s) const {
  const auto start = Clock::now();
  std::vector<uint64_t> counts;
  for (;;) {
    counts.assign(rules + 1, 0);
    uint64_t sum = 0;
    std::istringstream lines(shell("ovs-ofctl dump-flows " + bridge_));
    for (std::string line; std::getline(lines, line);) {
      const size_t n = line.find("n_packets=");
      if (n == std::string::npos) continue;
      const size_t c = line.find("cookie=");
      const uint64_t cookie =
          c == std::string::npos ? 0 : std::stoull(line.substr(c + 7), nullptr, 16);
      const uint64_t packets = std::stoull(line.substr(n + 10));
      if (cookie > rules) continue;  // a table's resubmit to the next: counted where it ends
      counts[cookie == 0 ? rules : cookie - 1] += packets;
      sum += packets;
    }
    if (sum >= total || seconds_since(start) > timeout_s) return counts;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace bench
