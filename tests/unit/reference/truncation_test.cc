// Truncated frames: at every length of a sample frame, nothing crashes and a rule matches exactly
// when the frame still carries every header its keys are read from.
#include <gtest/gtest.h>

#include "reference_test_util.h"

namespace tc2xdp::reference {
namespace {

using namespace testing;
using tc2xdp::testing::ip4;
using tc2xdp::testing::Ipv4Opts;
using tc2xdp::testing::Mac;
using tc2xdp::testing::TcpOpts;
using tc2xdp::testing::UdpOpts;

struct Case {
  std::string rule;
  size_t needed;  // the shortest prefix of the sample that still matches
};

void check_every_length(const std::vector<uint8_t>& full, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    auto rules = rules_from("pref 1 " + c.rule + " action drop\n");
    ASSERT_EQ(rules.size(), 1u) << c.rule;
    const auto& rule = rules.rules()[0];
    for (size_t len = 0; len <= full.size(); ++len) {
      std::vector<uint8_t> f(full.begin(), full.begin() + len);
      const bool met = matches(rule, dissect(f, 1), options());
      EXPECT_EQ(met, len >= c.needed) << c.rule << " at length " << len;
      const auto out = run(rules, f);
      EXPECT_EQ(out.verdict, met ? Verdict::kDrop : Verdict::kPass) << c.rule << " at " << len;
    }
  }
}

TEST(Truncation, Ipv4Tcp) {
  auto full = FrameBuilder().eth().ipv4().tcp({.sport = 1000, .dport = 80}).payload(6).build();
  check_every_length(full, {
                               {"protocol ip flower dst_mac 02:00:00:00:00:02", 14},
                               {"protocol ip flower dst_ip 10.0.0.2", 34},
                               {"protocol ip flower ip_proto tcp", 34},
                               {"protocol ip flower ip_ttl 64", 34},
                               {"protocol ip flower ip_proto tcp dst_port 80", 38},
                               {"protocol ip flower ip_proto tcp src_port 999-1001", 38},
                               {"protocol ip flower ip_proto tcp tcp_flags 0x2", 54},
                           });
}

TEST(Truncation, VlanIpv6ExtensionUdp) {
  auto full =
      FrameBuilder().eth().vlan(5).ipv6().ipv6_ext(0).udp({.dport = 53}).payload(10).build();
  check_every_length(full,
                     {
                         {"protocol 802.1q flower vlan_id 5", 18},
                         {"protocol 802.1q flower vlan_ethtype ipv6 dst_ip 2001:db8::2", 58},
                         {"protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp", 60},
                         {"protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 53", 70},
                     });
}

TEST(Truncation, ArpMplsIcmp) {
  Mac a{2, 0, 0, 0, 0, 0xaa}, zero{};
  check_every_length(
      FrameBuilder().eth().arp(1, a, ip4(10, 0, 0, 1), zero, ip4(10, 0, 0, 9)).build(),
      {{"protocol arp flower arp_tip 10.0.0.9", 42}, {"protocol arp flower arp_op request", 42}});
  check_every_length(FrameBuilder().eth().mpls(16).mpls(17).ipv4().build(),
                     {{"protocol mpls_uc flower mpls lse depth 2 label 17", 22}});
  check_every_length(FrameBuilder().eth().ipv4().icmp(8).build(),
                     {{"protocol ip flower ip_proto icmp type 8", 42}});
}

TEST(Truncation, RewritingActionsNeverReadPastTheEnd) {
  auto rules = rules_from(
      "pref 1 protocol all flower action pedit ex munge ip ttl decrement munge tcp dport set 1 "
      "munge eth src set 02:00:00:00:00:09 pipe action csum iph and tcp and udp and icmp pipe "
      "action vlan push id 5 pipe action vlan modify id 6 pipe action vlan pop pipe action vlan "
      "pop continue\n"
      "pref 2 protocol all flower action pass\n");
  const std::vector<std::vector<uint8_t>> samples = {
      FrameBuilder().eth().ipv4().tcp().payload(4).build(),
      FrameBuilder().eth().vlan(3).ipv6().ipv6_ext(0).tcp().build(),
      FrameBuilder().eth().qinq(1, 2).ipv4({.options = {1, 1, 1, 1}}).udp().build(),
      FrameBuilder().eth().ipv4().icmp(8).build(),
  };
  for (const auto& full : samples) {
    for (size_t len = 0; len <= full.size(); ++len) {
      std::vector<uint8_t> f(full.begin(), full.begin() + len);
      const auto out = run(rules, f);
      if (len < 14) {
        EXPECT_EQ(out.output, f);
        continue;
      }
      // csum fails (drop) when the IP payload the header promises is cut short.
      EXPECT_TRUE(out.verdict == Verdict::kPass || out.verdict == Verdict::kDrop) << len;
      // push, modify, pop, pop: a frame that came with a tag loses it.
      const bool tagged = len >= 18 && f[12] == 0x81 && f[13] == 0x00;
      const bool tagged_ad = len >= 18 && f[12] == 0x88 && f[13] == 0xa8;
      if (out.verdict == Verdict::kPass) {
        EXPECT_EQ(out.output.size(), (tagged || tagged_ad) ? len - 4 : len) << len;
      }
    }
  }
}

}  // namespace
}  // namespace tc2xdp::reference
