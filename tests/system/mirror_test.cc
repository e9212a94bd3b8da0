// mirred copies and ingress redirects on real traffic. A frame arriving on mxb0 (namespace b) is
// classified by the program; packet sockets on the veth peers in namespace a see what was sent out
// of mxb1 and mxb2, and one on mxc1 (b) sees what entered its receive path, which the program
// reaches by transmitting on its peer mxc0. Copies of a passed frame are cloned by the tc ingress
// companion, which also sets skb->mark; a UDP socket in b shows that the frame itself still
// reached the stack, and nftables there that it carried the mark.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <optional>

#include "common/frame_builder.h"
#include "netns.h"
#include "packet_receiver.h"
#include "raw_sender.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"
#include "tc2xdp/runtime/trivial_program.h"
#include "tc2xdp/runtime/xdp_link.h"

namespace tc2xdp::runtime {
namespace {

using tc2xdp::testing::FrameBuilder;
using tc2xdp::testing::NetnsScope;
using tc2xdp::testing::PacketReceiver;
using tc2xdp::testing::RawSender;
using tc2xdp::testing::sh;
using tc2xdp::testing::TestTopology;
using tc2xdp::testing::UdpReceiver;

constexpr int kSent = 3;
constexpr uint8_t kTtl = 64;

std::vector<uint8_t> udp_frame(uint16_t dport) {
  return FrameBuilder()
      .eth()
      .ipv4({.src = {10, 8, 0, 1}, .dst = {10, 8, 0, 2}, .ttl = kTtl})
      .udp({.sport = 4000, .dport = dport})
      .payload(std::vector<uint8_t>(32, 0xab))
      .build();
}

class MirrorSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("mxa0", "mxb0");        // sender -> program
    topo_.add_veth("mxa1", "mxb1");        // a port in namespace a
    topo_.add_veth("mxa2", "mxb2");        // another
    topo_.add_veth("mxc0", "mxc1", true);  // both ends in b: mxc1's receive path
    // A veth delivers XDP-transmitted frames only to a peer that runs an XDP program.
    pass_on(topo_.a(), "mxa1");
    pass_on(topo_.a(), "mxa2");
    pass_on(topo_.b(), "mxc1");
    const std::string rules =
        "filter add dev mxb0 ingress pref 10 protocol ip flower ip_proto udp dst_port 5001 "
        "action mirred egress mirror dev mxb1 pipe action mirred egress mirror dev mxb2 pipe "
        "action drop\n"
        "filter add dev mxb0 ingress pref 20 protocol ip flower ip_proto udp dst_port 5002 "
        "action pedit ex munge ip ttl set 7 pipe action csum iph pipe "
        "action mirred egress mirror dev mxb1 pipe action mirred egress redirect dev mxb2\n"
        "filter add dev mxb0 ingress pref 30 protocol ip flower ip_proto udp dst_port 5003 "
        "action mirred ingress redirect dev mxc1\n"
        "filter add dev mxb0 ingress pref 40 protocol ip flower ip_proto udp dst_port 5004 "
        "action mirred ingress mirror dev mxc1 pipe action mirred egress redirect dev mxb1\n"
        "filter add dev mxb0 ingress pref 50 protocol ip flower ip_proto udp dst_port 5005 "
        "action mirred egress mirror dev mxb1 pipe action mirred ingress mirror dev mxc1\n"
        "filter add dev mxb0 ingress pref 60 protocol ip flower ip_proto udp dst_port 5006 "
        "action mirred egress mirror dev mxb1 pipe action continue\n"
        "filter add dev mxb0 ingress pref 70 protocol ip flower ip_proto udp dst_port 5007 "
        "action skbedit mark 0x2a pipe action pass\n"
        "filter add dev mxb0 ingress pref 80 protocol ip flower ip_proto udp dst_port 5008 "
        "action mirred ingress redirect dev mxb1\n";
    ir::RuleSet set;
    Diagnostics diags;
    ASSERT_TRUE(frontend::tc::load_rules(rules, "mirror.tc", set, diags)) << diags.to_string();
    NetnsScope in_b(topo_.b());
    Datapath::detach("mxb0");
    auto report = Datapath::apply("mxb0", set, {}, diags);
    ASSERT_TRUE(report) << report.error().to_string() << "\n" << diags.to_string();
    // Only the copy followed by continue is left to the stack.
    auto dp = Datapath::open("mxb0");
    ASSERT_TRUE(dp) << dp.error().to_string();
    const plan::Plan& plan = dp->plan();
    ASSERT_EQ(plan.rules.size(), 8u);
    for (size_t i : {0, 1, 2, 3, 4, 6, 7})
      EXPECT_TRUE(plan.rules[i].offloaded) << plan.rules[i].punt_reason;
    EXPECT_FALSE(plan.rules[5].offloaded);
    EXPECT_NE(plan.rules[5].punt_reason.find("continue"), std::string::npos);
    // The stack of b accepts the frames addressed to mxb0.
    sh("ip -n " + topo_.b() + " addr add 10.8.0.2/24 dev mxb0");
    std::string mac = sh("ip -n " + topo_.b() + " -o link show mxb0");
    mxb0_mac_ = mac.substr(mac.find("link/ether ") + 11, 17);
  }
  void TearDown() override {
    NetnsScope in_b(topo_.b());
    Datapath::detach("mxb0");
  }
  void pass_on(const std::string& ns, const char* dev) {
    NetnsScope in(ns);
    auto prog = load_trivial_xdp(2 /* XDP_PASS */, "t2x_pass");
    ASSERT_TRUE(prog) << prog.error().to_string();
    auto link = XdpLink::attach(if_nametoindex(dev), prog->get(), XdpMode::kNative);
    ASSERT_TRUE(link) << link.error().to_string();
    peer_links_.push_back(std::move(*link));
  }
  // Packet sockets on mxa1, mxa2 (namespace a) and mxc1 (b), opened before anything is sent.
  struct Ports {
    std::optional<PacketReceiver> a1, a2, c1;
  };
  Ports open_ports() {
    Ports p;
    {
      NetnsScope in_a(topo_.a());
      p.a1.emplace("mxa1", 300);
      p.a2.emplace("mxa2", 300);
    }
    NetnsScope in_b(topo_.b());
    p.c1.emplace("mxc1", 300);
    return p;
  }
  void send(uint16_t dport) {
    NetnsScope in_a(topo_.a());
    RawSender("mxa0").send(udp_frame(dport), kSent);
  }
  // The same frame addressed to mxb0's MAC, so b's stack takes it in.
  std::vector<uint8_t> frame_for_b(uint16_t dport) {
    std::vector<uint8_t> frame = udp_frame(dport);
    unsigned m[6];
    sscanf(mxb0_mac_.c_str(), "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
    for (int i = 0; i < 6; ++i) frame[i] = static_cast<uint8_t>(m[i]);
    return frame;
  }
  std::vector<uint64_t> packets() {
    NetnsScope in_b(topo_.b());
    std::vector<uint64_t> out;
    auto dp = Datapath::open("mxb0");
    if (!dp) return out;
    if (auto counters = dp->counters())
      for (const auto& c : *counters) out.push_back(c.packets);
    return out;
  }

  TestTopology topo_{"t2xmir"};
  std::string mxb0_mac_;
  std::vector<XdpLink> peer_links_;
};

TEST_F(MirrorSystemTest, CopiesThenDropReachEveryPortAndNothingElse) {
  Ports ports = open_ports();
  send(5001);
  const auto at_a1 = ports.a1->all_udp(5001);
  const auto at_a2 = ports.a2->all_udp(5001);
  EXPECT_EQ(at_a1.size(), size_t{kSent});
  EXPECT_EQ(at_a2.size(), size_t{kSent});
  for (const auto& f : at_a1) EXPECT_EQ(f.bytes, udp_frame(5001));
  EXPECT_TRUE(ports.c1->all_udp(5001).empty());
  EXPECT_EQ(packets().at(0), uint64_t{kSent});
}

TEST_F(MirrorSystemTest, ACopyAndARedirectCarryTheRewrittenFrame) {
  Ports ports = open_ports();
  send(5002);
  const auto at_a1 = ports.a1->all_udp(5002);
  const auto at_a2 = ports.a2->all_udp(5002);
  ASSERT_EQ(at_a1.size(), size_t{kSent});
  ASSERT_EQ(at_a2.size(), size_t{kSent});
  for (const auto* seen : {&at_a1, &at_a2})
    for (const auto& f : *seen) {
      EXPECT_EQ(f.bytes[22], 7);  // the rewritten TTL reached both ports
      EXPECT_EQ(f.bytes.size(), udp_frame(5002).size());
    }
  EXPECT_EQ(at_a1[0].bytes, at_a2[0].bytes);
  EXPECT_EQ(packets().at(1), uint64_t{kSent});
}

TEST_F(MirrorSystemTest, IngressRedirectEntersTheTargetsReceivePath) {
  Ports ports = open_ports();
  send(5003);
  const auto at_c1 = ports.c1->all_udp(5003);
  ASSERT_EQ(at_c1.size(), size_t{kSent});
  for (const auto& f : at_c1) {
    EXPECT_NE(f.pkttype, PACKET_OUTGOING);  // received on mxc1, not sent from it
    EXPECT_EQ(f.bytes, udp_frame(5003));
  }
  EXPECT_TRUE(ports.a1->all_udp(5003).empty());
  EXPECT_EQ(packets().at(2), uint64_t{kSent});
}

TEST_F(MirrorSystemTest, IngressCopyAndEgressRedirectGoTogether) {
  Ports ports = open_ports();
  send(5004);
  const auto at_c1 = ports.c1->all_udp(5004);
  EXPECT_EQ(at_c1.size(), size_t{kSent});
  for (const auto& f : at_c1) EXPECT_NE(f.pkttype, PACKET_OUTGOING);
  EXPECT_EQ(ports.a1->all_udp(5004).size(), size_t{kSent});
  EXPECT_TRUE(ports.a2->all_udp(5004).empty());
}

TEST_F(MirrorSystemTest, CopiesOfAPassedFrameAreClonedAtTcIngress) {
  Ports ports = open_ports();
  std::optional<UdpReceiver> stack;
  {
    NetnsScope in_b(topo_.b());
    stack.emplace("10.8.0.2", 5005);
  }
  {
    NetnsScope in_a(topo_.a());
    RawSender("mxa0").send(frame_for_b(5005), kSent);
  }
  // The frame itself reached b's stack, once per frame sent...
  for (int i = 0; i < kSent; ++i) EXPECT_EQ(stack->receive().size(), 32u) << "frame " << i;
  EXPECT_TRUE(stack->receive().empty());
  // ...and its copies went out of mxb1 and into mxc1, as sent (the companion clones after XDP).
  const auto at_a1 = ports.a1->all_udp(5005);
  ASSERT_EQ(at_a1.size(), size_t{kSent});
  EXPECT_EQ(at_a1[0].bytes, frame_for_b(5005));
  const auto at_c1 = ports.c1->all_udp(5005);
  ASSERT_EQ(at_c1.size(), size_t{kSent});
  EXPECT_NE(at_c1[0].pkttype, PACKET_OUTGOING);
  EXPECT_EQ(packets().at(4), uint64_t{kSent});
}

TEST_F(MirrorSystemTest, IngressRedirectToAVethWhosePeerIsElsewhereGoesThroughTc) {
  // mxb1's peer is in namespace a, out of XDP's reach: the companion injects the frame into
  // mxb1's receive path and drops it, so it is neither sent out of mxb1 nor left on mxb0.
  std::optional<PacketReceiver> at_b1;
  std::optional<UdpReceiver> stack;
  {
    NetnsScope in_b(topo_.b());
    at_b1.emplace("mxb1", 300);
    stack.emplace("10.8.0.2", 5008);
  }
  Ports ports = open_ports();
  {
    NetnsScope in_a(topo_.a());
    RawSender("mxa0").send(frame_for_b(5008), kSent);
  }
  const auto seen = at_b1->all_udp(5008);
  ASSERT_EQ(seen.size(), size_t{kSent});
  for (const auto& f : seen) {
    EXPECT_NE(f.pkttype, PACKET_OUTGOING);
    EXPECT_EQ(f.bytes, frame_for_b(5008));
  }
  EXPECT_TRUE(ports.a1->all_udp(5008).empty());
  EXPECT_TRUE(stack->receive().empty());  // the frame itself did not go on into b's stack
  EXPECT_EQ(packets().at(7), uint64_t{kSent});
}

TEST_F(MirrorSystemTest, ThePassedFrameReachesTheStackWithItsMark) {
  // nftables in b counts, at the input hook, the frames that arrive with the mark set.
  const std::string nft = "ip netns exec " + topo_.b() + " nft ";
  sh(nft + "add table inet t2x");
  sh(nft + "'add chain inet t2x in { type filter hook input priority 0; }'");
  sh(nft + "add rule inet t2x in udp dport 5007 meta mark 0x2a counter");
  std::optional<UdpReceiver> stack;
  {
    NetnsScope in_b(topo_.b());
    stack.emplace("10.8.0.2", 5007);
  }
  {
    NetnsScope in_a(topo_.a());
    RawSender("mxa0").send(frame_for_b(5007), kSent);
  }
  for (int i = 0; i < kSent; ++i) EXPECT_EQ(stack->receive().size(), 32u) << "frame " << i;
  const std::string rules = sh(nft + "list table inet t2x");
  EXPECT_NE(rules.find("counter packets " + std::to_string(kSent) + " "), std::string::npos)
      << rules;
}

TEST_F(MirrorSystemTest, TheCompanionComesAndGoesWithTheCopies) {
  // The name of the program the pinned tcx link runs, empty without one (this bpftool predates
  // tcx, so the link is asked directly).
  const auto companion = [] {
    auto link = XdpLink::open_pinned("/sys/fs/bpf/tc2xdp/mxb0/tc_link");
    if (!link) return std::string();
    UniqueFd prog(bpf_prog_get_fd_by_id(link->program_id().value_or(0)));
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (prog.get() < 0 || bpf_obj_get_info_by_fd(prog.get(), &info, &len) != 0)
      return std::string();
    return std::string(info.name);
  };
  NetnsScope in_b(topo_.b());
  EXPECT_EQ(companion(), "tc2xdp_tc_in");
  ir::RuleSet set;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(
      "filter add dev mxb0 ingress pref 10 protocol ip flower action drop\n", "t.tc", set, diags));
  auto report = Datapath::apply("mxb0", set, {}, diags);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(companion(), "");
}

}  // namespace
}  // namespace tc2xdp::runtime
