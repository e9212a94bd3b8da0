// The CLI across processes: what one `tc2xdp attach` leaves pinned, a later `tc2xdp show` finds
// with its counters; redirect delivers into another namespace once the peer runs XDP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "common/frame_builder.h"
#include "netns.h"
#include "raw_sender.h"

namespace tc2xdp {
namespace {

using testing::eventually;
using testing::FrameBuilder;
using testing::NetnsScope;
using testing::RawSender;
using testing::sh;
using testing::TestTopology;

const std::string kCli = std::string(TC2XDP_BUILD_DIR) + "/tc2xdp";

// The rule files this process wrote, removed when it exits (each test runs as a process).
struct WrittenFiles {
  std::set<std::string> paths;
  ~WrittenFiles() {
    for (const std::string& p : paths) std::remove(p.c_str());
  }
};
WrittenFiles written;

std::string write_rules(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name + std::to_string(getpid()) + ".tc";
  std::ofstream(path) << text;
  written.paths.insert(path);
  return path;
}

// The packet count of the rule at `pref`, from `tc2xdp show -s -j` run as a new process.
long shown_packets(const std::string& ns, const std::string& dev, uint32_t pref) {
  std::string json;
  try {
    json = sh(kCli + " -n " + ns + " show " + dev + " -s -j");
  } catch (const std::exception&) {
    return -1;
  }
  const std::string anchor = "\"pref\":" + std::to_string(pref) + ",";
  const size_t at = json.find(anchor);
  if (at == std::string::npos) return -1;
  const size_t packets = json.find("\"packets\":", at);
  return packets == std::string::npos ? -1 : std::stol(json.substr(packets + 10));
}

class CliSurvivalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("csa0", "csb0");
  }
  void TearDown() override {
    std::system((kCli + " -n " + topo_.b() + " detach csb0 >/dev/null 2>&1").c_str());
    std::system((kCli + " -n " + topo_.a() + " detach csa1 >/dev/null 2>&1").c_str());
  }
  void send(const std::vector<uint8_t>& frame, int times) {
    NetnsScope in_a(topo_.a());
    RawSender("csa0").send(frame, times);
  }
  TestTopology topo_{"t2xcli"};
};

TEST_F(CliSurvivalTest, PinsAndCountersOutliveTheAttachingProcess) {
  const auto rules = write_rules(
      "survive",
      "filter add dev csb0 ingress pref 5 protocol ip flower ip_proto udp action drop\n");
  sh(kCli + " -n " + topo_.b() + " attach csb0 " + rules);  // that process has exited now
  EXPECT_NE(sh(kCli + " status").find("csb0: 1 filters"), std::string::npos);
  send(FrameBuilder().eth().ipv4().udp().pad_to(60).build(), 9);
  EXPECT_TRUE(eventually([&] { return shown_packets(topo_.b(), "csb0", 5) == 9; }))
      << shown_packets(topo_.b(), "csb0", 5);

  // One rule more through `filter add`, then `apply` of the original file: pref 5 keeps counting.
  sh(kCli + " -n " + topo_.b() +
     " filter add dev csb0 ingress pref 1 protocol ip flower ip_proto udp dst_port 7 action drop");
  send(FrameBuilder().eth().ipv4().udp({.dport = 7}).pad_to(60).build(), 4);
  EXPECT_TRUE(eventually([&] { return shown_packets(topo_.b(), "csb0", 1) == 4; }));
  sh(kCli + " -n " + topo_.b() + " apply csb0 " + rules);
  EXPECT_EQ(shown_packets(topo_.b(), "csb0", 1), -1);  // gone
  EXPECT_EQ(shown_packets(topo_.b(), "csb0", 5), 9);   // kept across both recompiles
}

TEST_F(CliSurvivalTest, RedirectReachesAnotherNamespaceOnlyWhenThePeerRunsXdp) {
  // csb1 (namespace b) <-> csa1 (namespace a): the redirect target and its peer.
  topo_.add_veth("csa1", "csb1");
  const auto rules = write_rules("redirect",
                                 "filter add dev csb0 ingress pref 1 protocol ip flower ip_proto "
                                 "udp dst_port 514 action mirred egress redirect dev csb1\n");
  sh(kCli + " -n " + topo_.b() + " attach csb0 " + rules);
  const auto frame = FrameBuilder().eth().ipv4().udp({.dport = 514}).pad_to(60).build();
  const auto rx_packets = [&] {
    return std::stol(
        sh("ip netns exec " + topo_.a() + " cat /sys/class/net/csa1/statistics/rx_packets"));
  };
  // A veth drops XDP-redirected frames unless its peer has an XDP program attached.
  const long before = rx_packets();
  send(frame, 5);
  EXPECT_TRUE(eventually([&] { return shown_packets(topo_.b(), "csb0", 1) == 5; }));
  EXPECT_EQ(rx_packets(), before);

  // With a counting program on the peer, every redirected frame arrives.
  const auto counter = write_rules(
      "counter",
      "filter add dev csa1 ingress pref 1 protocol ip flower ip_proto udp action pass\n");
  sh(kCli + " -n " + topo_.a() + " attach csa1 " + counter);
  send(frame, 6);
  EXPECT_TRUE(eventually([&] { return shown_packets(topo_.a(), "csa1", 1) == 6; }))
      << shown_packets(topo_.a(), "csa1", 1);

  // --pass-through is the plain way to make a peer receive.
  sh(kCli + " -n " + topo_.a() + " detach csa1");
  sh(kCli + " -n " + topo_.a() + " attach csa1 --pass-through");
  const long with_pass = rx_packets();
  send(frame, 3);
  EXPECT_TRUE(eventually([&] { return rx_packets() == with_pass + 3; }))
      << rx_packets() - with_pass;
}

// Concurrent CLI processes changing one interface are serialised: no change is lost.
TEST_F(CliSurvivalTest, ConcurrentCliChangesLoseNothing) {
  std::string base;
  for (int i = 0; i < 40; ++i)
    base += "filter add dev csb0 ingress pref " + std::to_string(100 + i) +
            " protocol ip flower ip_proto udp dst_port " + std::to_string(1000 + i) +
            " action drop\n";
  sh(kCli + " -n " + topo_.b() + " attach csb0 " + write_rules("concurrent", base));
  std::string script = "export TC2XDP_NO_DAEMON=1; ";
  for (int i = 0; i < 8; ++i)
    script += kCli + " -n " + topo_.b() + " filter add dev csb0 ingress pref " +
              std::to_string(200 + i) + " protocol ip flower ip_proto udp dst_port " +
              std::to_string(2000 + i) + " action drop & ";
  ASSERT_EQ(std::system((script + "wait").c_str()), 0);
  EXPECT_NE(sh(kCli + " status").find("csb0: 48 filters"), std::string::npos)
      << sh(kCli + " status");
}

TEST_F(CliSurvivalTest, ErrorsSayWhatToDoAndChangeNothing) {
  const auto rules =
      write_rules("errors", "filter add dev csb0 ingress pref 5 protocol ip flower action drop\n");
  const auto run = [](const std::string& cmd) {
    return std::system((cmd + " >/tmp/t2x-cli-err 2>&1").c_str());
  };
  const auto output = [] {
    std::ifstream in("/tmp/t2x-cli-err");
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_NE(run(kCli + " -n " + topo_.b() + " attach nosuchdev0 " + rules), 0);
  EXPECT_NE(output().find("no such device"), std::string::npos) << output();
  sh(kCli + " -n " + topo_.b() + " attach csb0 " + rules);
  EXPECT_NE(run(kCli + " -n " + topo_.b() + " attach csb0 " + rules), 0);
  EXPECT_NE(output().find("already managed"), std::string::npos) << output();
  EXPECT_NE(run(kCli + " -n " + topo_.b() +
                " filter add dev csb0 ingress pref 6 protocol ip flower dst_port 80 action drop"),
            0);
  EXPECT_NE(output().find("<cmdline>:1:"), std::string::npos) << output();
  const std::string nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups " + kCli;
  EXPECT_NE(run(nobody + " -n " + topo_.b() + " apply csb0 " + rules), 0);
  EXPECT_NE(output().find("cannot enter network namespace"), std::string::npos) << output();
  EXPECT_NE(run(nobody + " apply csb0 " + rules), 0);
  EXPECT_NE(output().find("needs root"), std::string::npos) << output();
  EXPECT_EQ(sh(kCli + " -n " + topo_.b() + " show csb0").find("pref 6"), std::string::npos);
}

TEST_F(CliSurvivalTest, ADeviceWithoutNativeXdpFallsBackToGenericUnlessNativeWasAsked) {
  sh("ip -n " + topo_.b() + " link add csbr0 type bridge");  // bridges have no native XDP
  const auto rules = write_rules(
      "generic", "filter add dev csbr0 ingress pref 1 protocol ip flower action drop\n");
  const std::string strict = kCli + " -n " + topo_.b() + " attach csbr0 " + rules + " --mode ";
  EXPECT_NE(std::system((strict + "native 2>/tmp/t2x-cli-err").c_str()), 0);
  std::ifstream err("/tmp/t2x-cli-err");
  const std::string said(std::istreambuf_iterator<char>(err), {});
  EXPECT_NE(said.find("use --mode generic"), std::string::npos) << said;
  EXPECT_NE(said.find("nothing changed"), std::string::npos) << said;
  const std::string noted = sh(kCli + " -n " + topo_.b() + " attach csbr0 " + rules);
  EXPECT_NE(noted.find("attached in generic mode"), std::string::npos) << noted;
  // One rule: no table, so no flow cache in front of one.
  EXPECT_NE(sh(kCli + " status").find("csbr0: 1 filters (0 punted), xdp generic, no flow cache"),
            std::string::npos);
  sh(kCli + " -n " + topo_.b() + " detach csbr0");
}

TEST_F(CliSurvivalTest, BatchAppliesPerDeviceTransactions) {
  const auto batch = write_rules(
      "batch",
      "filter add dev csb0 ingress pref 1 protocol ip flower ip_proto udp dst_port 1 action drop\n"
      "filter add dev csb0 ingress pref 2 protocol ip flower ip_proto udp dst_port 2 action drop\n"
      "filter del dev csb0 ingress pref 1\n");
  sh(kCli + " -n " + topo_.b() + " -batch " + batch);
  const std::string shown = sh(kCli + " -n " + topo_.b() + " show csb0");
  EXPECT_EQ(shown.find("pref 1 "), std::string::npos) << shown;
  EXPECT_NE(shown.find("pref 2 "), std::string::npos) << shown;
  // A bad line anywhere: nothing of the batch is applied.
  const auto bad =
      write_rules("badbatch",
                  "filter add dev csb0 ingress pref 3 protocol ip flower ip_proto udp action drop\n"
                  "filter del dev csb0 ingress pref 99\n");
  EXPECT_NE(std::system((kCli + " -n " + topo_.b() + " -batch " + bad + " 2>/dev/null").c_str()),
            0);
  EXPECT_EQ(sh(kCli + " -n " + topo_.b() + " show csb0").find("pref 3 "), std::string::npos);
}

}  // namespace
}  // namespace tc2xdp
