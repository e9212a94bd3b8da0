// act_police on real traffic: UDP frames sent over a veth into namespace b meet a policed rule
// whose burst holds exactly K of them; a UDP socket in b receives exactly K, and the policer's
// counters say K conform and N-K exceed. The rate (10 bytes/s) is so low that the refill during
// the test cannot let another frame through: no assertion depends on timing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <optional>

#include "common/frame_builder.h"
#include "netns.h"
#include "raw_sender.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::runtime {
namespace {

using tc2xdp::testing::eventually;
using tc2xdp::testing::FrameBuilder;
using tc2xdp::testing::NetnsScope;
using tc2xdp::testing::RawSender;
using tc2xdp::testing::sh;
using tc2xdp::testing::TestTopology;

constexpr size_t kFrame = 100;  // bytes on the wire; 86 as the policer counts them
constexpr size_t kLen = 86;

class PoliceSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("pla0", "plb0");
    sh("ip -n " + topo_.b() + " addr add 10.8.0.2/24 dev plb0");
    std::string mac = sh("ip -n " + topo_.b() + " -o link show plb0");
    mac_ = mac.substr(mac.find("link/ether ") + 11, 17);
    NetnsScope in_b(topo_.b());
    socket_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    timeval timeout{2, 0};
    setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(7000);
    inet_pton(AF_INET, "10.8.0.2", &at.sin_addr);
    ASSERT_EQ(bind(socket_, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  }
  void TearDown() override {
    close(socket_);
    NetnsScope in_b(topo_.b());
    Datapath::detach("plb0");
  }

  // `police` is the police action's arguments; the rule catches UDP to port 7000.
  ApplyReport apply(const std::string& police, const std::string& more = "") {
    const std::string rules =
        "filter add dev plb0 ingress pref 10 protocol ip flower ip_proto udp dst_port 7000 "
        "action police " +
        police + "\n" + more;
    ir::RuleSet set;
    Diagnostics diags;
    EXPECT_TRUE(frontend::tc::load_rules(rules, "police.tc", set, diags)) << diags.to_string();
    NetnsScope in_b(topo_.b());
    auto report = Datapath::apply("plb0", set, {}, diags);
    EXPECT_TRUE(report) << report.error().to_string() << "\n" << diags.to_string();
    EXPECT_EQ(diags.to_string(), "");  // nothing punted
    return report ? *report : ApplyReport{};
  }

  std::vector<uint8_t> frame() const {
    uint8_t mac[6];
    sscanf(mac_.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
           &mac[4], &mac[5]);
    testing::EthOpts eth;
    std::copy(mac, mac + 6, eth.dst.begin());
    auto head = FrameBuilder()
                    .eth(eth)
                    .ipv4({.src = {10, 8, 0, 1}, .dst = {10, 8, 0, 2}})
                    .udp({.sport = 7001, .dport = 7000});
    const size_t header = head.build().size();
    return head.payload(kFrame - header).build();
  }

  // Sends n frames from namespace a; waits until the program has seen them all (its counters).
  void send(size_t n) {
    const uint64_t before = seen();
    {
      NetnsScope in_a(topo_.a());
      RawSender("pla0").send(frame(), static_cast<int>(n));
    }
    EXPECT_TRUE(eventually([&] { return seen() == before + n; })) << seen() - before;
  }
  uint64_t seen() {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("plb0");
    if (!dp) return 0;
    auto c = dp->counters();
    return c && !c->empty() ? (*c)[0].packets : 0;
  }
  plan::PoliceCounters police() {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("plb0");
    EXPECT_TRUE(dp);
    auto c = dp->police_counters();
    EXPECT_TRUE(c && !c->empty() && (*c)[0]);
    return c && !c->empty() && (*c)[0] ? *(*c)[0] : plan::PoliceCounters{};
  }
  // Datagrams that reached the socket: `expected` of them, then none within a short wait.
  size_t received(size_t expected) {
    size_t n = 0;
    char buf[2048];
    while (n < expected && recv(socket_, buf, sizeof buf, 0) > 0) ++n;
    while (recv(socket_, buf, sizeof buf, MSG_DONTWAIT) > 0) ++n;
    return n;
  }

  TestTopology topo_{"t2xpol"};
  std::string mac_;
  int socket_ = -1;
};

// 10 bytes/s; a burst of 7 frames and half of one more: 645 bytes.
constexpr const char* kPolice = "rate 80bit burst 645 conform-exceed drop/ok";

TEST_F(PoliceSystemTest, ABurstOfNFramesLetsExactlyKThrough) {
  apply(kPolice);
  send(20);
  EXPECT_EQ(received(7), 7u);
  const auto c = police();
  EXPECT_EQ(c.packets, 20u);
  EXPECT_EQ(c.bytes, 20u * kLen);
  EXPECT_EQ(c.overlimits, 13u);  // exceeded: N - K
  EXPECT_EQ(c.drops, 13u);
}

TEST_F(PoliceSystemTest, BucketsLiveAcrossRecompilesUntilTheirConfigurationChanges) {
  apply(kPolice);
  send(10);
  EXPECT_EQ(received(7), 7u);
  // A new rule of another shape recompiles; the police bucket (empty now) and counters stay.
  const auto recompiled =
      apply(kPolice,
            "filter add dev plb0 ingress pref 20 protocol ip flower ip_proto tcp "
            "action drop\n");
  EXPECT_FALSE(recompiled.data_only);
  EXPECT_TRUE(recompiled.counters_kept);
  send(5);
  EXPECT_EQ(received(0), 0u);
  EXPECT_EQ(police().packets, 15u);
  // Another burst is a change of data (same code): written into the live map, a fresh bucket
  // of 3 frames and half of one.
  const auto rewritten = apply("rate 80bit burst 301 conform-exceed drop/ok",
                               "filter add dev plb0 ingress pref 20 protocol ip flower ip_proto "
                               "tcp action drop\n");
  EXPECT_TRUE(rewritten.data_only);
  send(6);
  EXPECT_EQ(received(3), 3u);
  const auto c = police();
  EXPECT_EQ(c.packets, 6u);  // a new policer: tc's counters start over too
  EXPECT_EQ(c.overlimits, 3u);
}

}  // namespace
}  // namespace tc2xdp::runtime
