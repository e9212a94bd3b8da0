// The dissector and the match: what cls_flower sees in a frame and how keys compare, modelled on
// what tools/testing/selftests/net/forwarding/tc_flower.sh and tc_flower_port_range.sh check.
#include <gtest/gtest.h>

#include "reference_test_util.h"

namespace tc2xdp::reference {
namespace {

using namespace testing;
using ir::Field;
using tc2xdp::testing::ip4;
using tc2xdp::testing::ip6;
using tc2xdp::testing::Ipv4Opts;
using tc2xdp::testing::Ipv6Opts;
using tc2xdp::testing::TcpOpts;
using tc2xdp::testing::UdpOpts;

uint64_t field(const FlowKey& k, Field f) {
  const auto& v = k.fields[static_cast<size_t>(f)];
  EXPECT_TRUE(v.has_value()) << ir::field_info(f).name;
  uint64_t x = 0;
  for (int i = 0; i < ir::field_info(f).width && i < 8; ++i) x = x << 8 | (v ? (*v)[i] : 0);
  return x;
}
bool has(const FlowKey& k, Field f) {
  return k.fields[static_cast<size_t>(f)].has_value();
}

// Which of the rules (by pref) catch the frame, in order.
std::vector<uint32_t> catching(const ir::RuleSet& rules, const std::vector<uint8_t>& frame,
                               uint32_t ifindex = 1) {
  std::vector<uint32_t> prefs;
  const auto key = dissect(frame, ifindex);
  for (const auto& r : rules.rules())
    if (matches(r, key, options())) prefs.push_back(r.pref);
  return prefs;
}

TEST(Dissect, Ipv4Tcp) {
  auto f = FrameBuilder()
               .eth()
               .ipv4({.tos = 0x10, .ttl = 9})
               .tcp({.sport = 5, .dport = 6, .flags = 0x12})
               .build();
  auto k = dissect(f, 1);
  EXPECT_EQ(k.n_proto, 0x0800);
  EXPECT_EQ(k.outer_protocol, 0x0800);
  EXPECT_EQ(field(k, Field::kIpProto), 6u);
  EXPECT_EQ(field(k, Field::kIpTos), 0x10u);
  EXPECT_EQ(field(k, Field::kIpTtl), 9u);
  EXPECT_EQ(field(k, Field::kIpv4Dst), 0x0a000002u);
  EXPECT_EQ(field(k, Field::kTcpFlags), 0x12u);
  EXPECT_EQ(k.src_port, 5);
  EXPECT_EQ(k.dst_port, 6);
  EXPECT_EQ(field(k, Field::kIpFlags), 0u);
}

TEST(Dissect, VlanAndQinq) {
  auto k = dissect(FrameBuilder().eth().vlan(100, 5).ipv4().udp().build(), 1);
  EXPECT_EQ(k.outer_protocol, 0x8100);
  EXPECT_EQ(k.n_proto, 0x0800);
  EXPECT_EQ(field(k, Field::kVlanId), 100u);
  EXPECT_EQ(field(k, Field::kVlanPrio), 5u);
  EXPECT_EQ(field(k, Field::kVlanEthType), 0x0800u);
  EXPECT_FALSE(has(k, Field::kCvlanId));

  auto q = dissect(FrameBuilder().eth().qinq(10, 20).ipv6().udp().build(), 1);
  EXPECT_EQ(q.outer_protocol, 0x88a8);
  EXPECT_EQ(q.vlan_tpid, 0x88a8);
  EXPECT_EQ(q.cvlan_tpid, 0x8100);
  EXPECT_EQ(field(q, Field::kVlanId), 10u);
  EXPECT_EQ(field(q, Field::kVlanEthType), 0x8100u);
  EXPECT_EQ(field(q, Field::kCvlanId), 20u);
  EXPECT_EQ(field(q, Field::kCvlanEthType), 0x86ddu);
  EXPECT_EQ(q.n_proto, 0x86dd);

  // A third tag is consumed but not recorded; n_proto is what follows it.
  auto t = dissect(FrameBuilder().eth().qinq(1, 2).vlan(3).ipv4().tcp().build(), 1);
  EXPECT_EQ(field(t, Field::kCvlanId), 2u);
  EXPECT_EQ(field(t, Field::kCvlanEthType), 0x8100u);
  EXPECT_EQ(t.n_proto, 0x0800);
  EXPECT_EQ(t.dst_port, 80);
}

TEST(Match, VlanRules) {
  auto rules = rules_from(
      "pref 1 protocol 802.1q flower vlan_id 100 action drop\n"
      "pref 2 protocol 802.1q flower vlan_prio 5 vlan_ethtype ip ip_proto udp action drop\n"
      "pref 3 protocol 802.1ad flower vlan_id 10 vlan_ethtype 802.1q cvlan_id 20 cvlan_ethtype "
      "ipv6 action drop\n"
      "pref 4 protocol 802.1ad flower vlan_ethtype 802.1q cvlan_id 21 action drop\n"
      "pref 5 protocol 802.1q flower vlan_ethtype ipv6 action drop\n");
  EXPECT_EQ(catching(rules, FrameBuilder().eth().vlan(100, 5).ipv4().udp().build()),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().vlan(101, 5).ipv4().tcp().build()),
            (std::vector<uint32_t>{}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().qinq(10, 20).ipv6().udp().build()),
            (std::vector<uint32_t>{3}));
  // 802.1q outer tag: the 802.1ad rules' protocol does not apply.
  EXPECT_EQ(catching(rules, FrameBuilder().eth().vlan(10).vlan(20).ipv6().udp().build()),
            (std::vector<uint32_t>{}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().vlan(7).ipv6().udp().build()),
            (std::vector<uint32_t>{5}));
}

TEST(Dissect, MplsStackUpToSevenEntries) {
  FrameBuilder b;
  b.eth();
  for (uint32_t i = 1; i <= 9; ++i)
    b.mpls(i * 100, static_cast<uint8_t>(i & 7), static_cast<uint8_t>(i));
  auto k = dissect(b.ipv4().build(), 1);
  EXPECT_EQ(k.n_proto, 0x8847);
  ASSERT_EQ(k.mpls.size(), 7u);
  EXPECT_EQ(k.mpls[0].label, 100u);
  EXPECT_EQ(k.mpls[6].label, 700u);
  EXPECT_EQ(k.mpls[6].bos, 0);
  EXPECT_FALSE(has(k, Field::kIpProto));  // nothing below the stack is parsed

  auto two = dissect(FrameBuilder().eth().mpls(16, 1, 64).mpls(17, 2, 63).ipv4().build(), 1);
  ASSERT_EQ(two.mpls.size(), 2u);
  EXPECT_EQ(two.mpls[1].bos, 1);
  EXPECT_EQ(two.mpls[1].ttl, 63);
}

TEST(Match, MplsRules) {
  auto rules = rules_from(
      "pref 1 protocol mpls_uc flower mpls_label 16 action drop\n"
      "pref 2 protocol mpls_uc flower mpls lse depth 2 label 17 tc 2 bos 1 action drop\n"
      "pref 3 protocol mpls_uc flower mpls lse depth 3 ttl 1 action drop\n"
      "pref 4 protocol mpls_uc flower mpls lse depth 7 label 700 action drop\n");
  EXPECT_EQ(catching(rules, FrameBuilder().eth().mpls(16, 1, 64).mpls(17, 2, 63).ipv4().build()),
            (std::vector<uint32_t>{1, 2}));
  // Depth 3 is absent from a two-entry stack: even `ttl 1` cannot be met by a zeroed key.
  EXPECT_EQ(catching(rules, FrameBuilder().eth().mpls(16).mpls(17, 2, 1).payload(40, 0).build()),
            (std::vector<uint32_t>{1, 2}));
  // Without bottom of stack the dissector reads on: the third entry comes from the payload.
  EXPECT_EQ(
      catching(rules, FrameBuilder().eth().mpls(16).mpls(17, 2, 63, false).mpls(5, 0, 1).build()),
      (std::vector<uint32_t>{1, 3}));
  FrameBuilder deep;
  deep.eth();
  for (uint32_t i = 1; i <= 8; ++i) deep.mpls(i * 100);
  EXPECT_EQ(catching(rules, deep.build()), (std::vector<uint32_t>{4}));
}

TEST(Dissect, Ipv6ExtensionHeadersAreSkipped) {
  auto k = dissect(FrameBuilder()
                       .eth()
                       .ipv6()
                       .ipv6_ext(0)
                       .ipv6_ext(60, 1)
                       .ipv6_ext(43)
                       .tcp({.dport = 443})
                       .build(),
                   1);
  EXPECT_EQ(field(k, Field::kIpProto), 6u);
  EXPECT_EQ(k.dst_port, 443);
  EXPECT_EQ(field(k, Field::kIpFlags), 0u);
}

TEST(Dissect, Ipv6FragmentHeader) {
  auto first =
      dissect(FrameBuilder().eth().ipv6().ipv6_frag(0, true).udp({.dport = 53}).build(), 1);
  EXPECT_EQ(field(first, Field::kIpFlags), ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag);
  EXPECT_EQ(field(first, Field::kIpProto), 17u);
  EXPECT_FALSE(first.dst_port);  // flower does not ask for first-fragment ports
  auto later = dissect(FrameBuilder().eth().ipv6().ipv6_frag(100, false).payload(16).build(), 1);
  EXPECT_EQ(field(later, Field::kIpFlags), ir::kIpFlagIsFragment);
}

TEST(Dissect, Ipv6UnknownExtensionEndsTheWalk) {
  // AH is not skipped: ip_proto is 51 and its "ports" are the SPI's position.
  auto k = dissect(FrameBuilder().eth().ipv6({.next_header = 51}).payload(24, 0x11).build(), 1);
  EXPECT_EQ(field(k, Field::kIpProto), 51u);
}

TEST(Dissect, Ipv4Fragments) {
  auto first = FrameBuilder().eth().ipv4({.ttl = 7, .mf = true}).tcp({.dport = 80}).build();
  auto k = dissect(first, 1);
  EXPECT_EQ(field(k, Field::kIpFlags), ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag);
  EXPECT_EQ(field(k, Field::kIpProto), 6u);
  EXPECT_EQ(field(k, Field::kIpTtl), 7u);
  EXPECT_FALSE(k.dst_port);
  EXPECT_FALSE(has(k, Field::kTcpFlags));
  auto later =
      dissect(FrameBuilder().eth().ipv4({.frag_offset = 10, .protocol = 6}).payload(20).build(), 1);
  EXPECT_EQ(field(later, Field::kIpFlags), ir::kIpFlagIsFragment);
}

TEST(Match, IpFlags) {
  auto rules = rules_from(
      "pref 1 protocol ip flower ip_flags frag action drop\n"
      "pref 2 protocol ip flower ip_flags nofrag action drop\n"
      "pref 3 protocol ip flower ip_flags firstfrag action drop\n"
      "pref 4 protocol ip flower ip_flags nofirstfrag action drop\n"
      "pref 5 protocol ip flower ip_flags frag/nofirstfrag action drop\n");
  auto whole = FrameBuilder().eth().ipv4().udp().build();
  auto first = FrameBuilder().eth().ipv4({.mf = true}).udp().build();
  auto later = FrameBuilder().eth().ipv4({.frag_offset = 3, .protocol = 17}).payload(8).build();
  EXPECT_EQ(catching(rules, whole),
            (std::vector<uint32_t>{2, 4}));  // nofirstfrag: unfragmented too
  EXPECT_EQ(catching(rules, first), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(catching(rules, later), (std::vector<uint32_t>{1, 4, 5}));
}

TEST(Match, FragmentsCarryNoPortsSoPortsCompareAsZero) {
  auto rules = rules_from(
      "pref 1 protocol ip flower ip_proto tcp dst_port 80 action drop\n"
      "pref 2 protocol ip flower ip_proto tcp src_port 0 action drop\n"
      "pref 3 protocol ip flower ip_proto tcp dst_port 0-10 action drop\n"
      "pref 4 protocol ip flower ip_proto tcp tcp_flags 0x2 action drop\n");
  auto first = FrameBuilder().eth().ipv4({.mf = true}).tcp({.dport = 80}).build();
  auto later = FrameBuilder().eth().ipv4({.frag_offset = 8, .protocol = 6}).payload(20).build();
  // The kernel's skb key holds zero where nothing was dissected: `src_port 0` and a range from 0
  // catch fragments, a real port never does (first fragments included).
  EXPECT_EQ(catching(rules, first), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(catching(rules, later), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv4().tcp({.dport = 80}).build()),
            (std::vector<uint32_t>{1, 4}));
}

TEST(Match, PortRangesIncludeTheirBounds) {
  auto rules = rules_from(
      "pref 1 protocol ip flower ip_proto udp dst_port 100-200 action drop\n"
      "pref 2 protocol ip flower ip_proto tcp src_port 1000-2000 dst_port 80 action drop\n"
      "pref 3 protocol ipv6 flower ip_proto udp src_port 10-20 action drop\n");
  for (auto [port, hit] : std::vector<std::pair<uint16_t, bool>>{
           {99, false}, {100, true}, {150, true}, {200, true}, {201, false}}) {
    auto f = FrameBuilder().eth().ipv4().udp({.dport = port}).build();
    EXPECT_EQ(catching(rules, f) == std::vector<uint32_t>{1}, hit) << port;
  }
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv4().tcp({.sport = 2000, .dport = 80}).build()),
            (std::vector<uint32_t>{2}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv4().tcp({.sport = 2001, .dport = 80}).build()),
            (std::vector<uint32_t>{}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv6().udp({.sport = 10}).build()),
            (std::vector<uint32_t>{3}));
}

TEST(Match, MaskedFields) {
  auto rules = rules_from(
      "pref 1 protocol ip flower dst_ip 10.0.0.0/16 action drop\n"
      "pref 2 protocol ip flower src_mac 02:00:00:00:00:00/ff:00:00:00:00:00 action drop\n"
      "pref 3 protocol ip flower ip_tos 0x20/0xe0 action drop\n"
      "pref 4 protocol ip flower ip_proto tcp tcp_flags 0x10/0x10 action drop\n");
  auto f = FrameBuilder()
               .eth()
               .ipv4({.dst = ip4(10, 0, 9, 0), .tos = 0x2c})
               .tcp({.flags = 0x18})
               .build();
  EXPECT_EQ(catching(rules, f), (std::vector<uint32_t>{1, 2, 3, 4}));
  auto g = FrameBuilder()
               .eth()
               .ipv4({.dst = ip4(10, 1, 9, 1), .tos = 0x4c})
               .tcp({.flags = 0x02})
               .build();
  EXPECT_EQ(catching(rules, g), (std::vector<uint32_t>{2}));
}

TEST(Match, MaskedPorts) {
  ir::Rule r;
  r.protocol = 0x0800;
  r.match.set(Field::kIpProto, ir::MaskedValue::from_u64(1, 6, 0xff));
  r.match.set(Field::kDstPort, ir::MaskedValue::from_u64(2, 0x1f40, 0xff00));  // 0x1fXX
  auto key = [](uint16_t port) {
    return dissect(FrameBuilder().eth().ipv4().tcp({.dport = port}).build(), 1);
  };
  EXPECT_TRUE(matches(r, key(0x1f00), options()));
  EXPECT_TRUE(matches(r, key(0x1fff), options()));
  EXPECT_FALSE(matches(r, key(0x2000), options()));
}

TEST(Match, Ipv6AddressesAndExtensionHeaders) {
  auto rules = rules_from(
      "pref 1 protocol ipv6 flower dst_ip 2001:db8::2 ip_proto tcp dst_port 443 action drop\n"
      "pref 2 protocol ipv6 flower src_ip 2001:db8::/32 ip_proto udp action drop\n");
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv6().ipv6_ext(0).tcp({.dport = 443}).build()),
            (std::vector<uint32_t>{1}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv6().ipv6_frag(0, true).udp().build()),
            (std::vector<uint32_t>{2}));
}

TEST(Match, AddressKeysNeedAnIpHeader) {
  // A zero address under a full mask would equal a zeroed key, but flower also keys addr_type,
  // which only a dissected IP header sets.
  auto rules = rules_from(
      "pref 1 protocol ip flower dst_ip 0.0.0.0/32 action drop\n"
      "pref 2 protocol ip flower ip_ttl 0 action drop\n");
  auto truncated = FrameBuilder().eth().ipv4().build();
  truncated.resize(30);
  EXPECT_EQ(catching(rules, truncated), (std::vector<uint32_t>{2}));  // ttl: zero, as the kernel
}

TEST(Match, ArpOnlyEthernetIpv4) {
  auto rules = rules_from(
      "pref 1 protocol arp flower arp_op request arp_sip 10.0.0.1 arp_tip 10.0.0.0/24 action drop\n"
      "pref 2 protocol arp flower arp_op reply arp_sha 02:00:00:00:00:aa action drop\n"
      "pref 3 protocol arp flower arp_tha 00:00:00:00:00:00 action drop\n");
  tc2xdp::testing::Mac a{2, 0, 0, 0, 0, 0xaa}, zero{};
  EXPECT_EQ(
      catching(rules,
               FrameBuilder().eth().arp(1, a, ip4(10, 0, 0, 1), zero, ip4(10, 0, 0, 9)).build()),
      (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(catching(rules,
                     FrameBuilder().eth().arp(2, a, ip4(10, 0, 0, 9), a, ip4(10, 0, 0, 1)).build()),
            (std::vector<uint32_t>{2}));
  // Not Ethernet/IPv4 (here: hardware type 6): the ARP key stays zero.
  auto odd = FrameBuilder().eth().arp(1, a, ip4(10, 0, 0, 1), zero, ip4(10, 0, 0, 9)).build();
  odd[15] = 6;
  auto k = dissect(odd, 1);
  EXPECT_FALSE(has(k, Field::kArpSip));
  EXPECT_EQ(catching(rules, odd), (std::vector<uint32_t>{3}));  // a zero tha matches the zero key
}

TEST(Match, IcmpTypeAndCode) {
  auto rules = rules_from(
      "pref 1 protocol ip flower ip_proto icmp type 8 code 0 action drop\n"
      "pref 2 protocol ipv6 flower ip_proto icmpv6 type 135 action drop\n");
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv4().icmp(8).build()),
            (std::vector<uint32_t>{1}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv4().icmp(0).build()),
            (std::vector<uint32_t>{}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv6().icmpv6(135).build()),
            (std::vector<uint32_t>{2}));
  EXPECT_EQ(catching(rules, FrameBuilder().eth().ipv6().ipv6_ext(0).icmpv6(135).build()),
            (std::vector<uint32_t>{2}));
}

TEST(Dissect, EncapsulationStopsAtTheOuterHeader) {
  auto k = dissect(
      FrameBuilder().eth().ipv4({.protocol = 4}).ipv4({.dst = ip4(1, 2, 3, 4)}).tcp().build(), 1);
  EXPECT_EQ(field(k, Field::kIpProto), 4u);
  EXPECT_EQ(field(k, Field::kIpv4Dst), 0x0a000002u);
}

TEST(Dissect, Ieee8023LengthFrames) {
  std::vector<uint8_t> f = FrameBuilder().eth({.type = 46}).payload(46, 0).build();
  EXPECT_EQ(dissect(f, 1).outer_protocol, 0x0004);  // ETH_P_802_2
  f[14] = f[15] = 0xff;
  EXPECT_EQ(dissect(f, 1).outer_protocol, 0x0001);  // ETH_P_802_3
}

TEST(Dissect, HeaderBudgetBoundsTheWalk) {
  // 16 VLAN tags exceed MAX_FLOW_DISSECT_HDRS: the 16th tag is consumed (n_proto is what follows
  // it) but the IPv4 header behind it is never parsed.
  FrameBuilder b;
  b.eth();
  for (int i = 0; i < 16; ++i) b.vlan(static_cast<uint16_t>(i + 1));
  auto k = dissect(b.ipv4().tcp().build(), 1);
  EXPECT_EQ(k.n_proto, 0x0800);
  EXPECT_FALSE(has(k, Field::kIpProto));
  FrameBuilder fewer;
  fewer.eth();
  for (int i = 0; i < 15; ++i) fewer.vlan(static_cast<uint16_t>(i + 1));
  EXPECT_TRUE(has(dissect(fewer.ipv4().tcp().build(), 1), Field::kIpProto));
}

}  // namespace
}  // namespace tc2xdp::reference
