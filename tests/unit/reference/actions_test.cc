// Frame rewrites: vlan, pedit and csum outputs, checked against frames the builder computes
// independently (its own lengths and checksums).
#include <gtest/gtest.h>

#include "reference_test_util.h"

namespace tc2xdp::reference {
namespace {

using namespace testing;
using tc2xdp::testing::inet_checksum;
using tc2xdp::testing::ip4;
using tc2xdp::testing::Ipv4Opts;
using tc2xdp::testing::Ipv6Opts;
using tc2xdp::testing::TcpOpts;
using tc2xdp::testing::UdpOpts;

Outcome act(const std::string& actions, const std::vector<uint8_t>& frame) {
  auto rules = rules_from("pref 1 protocol all flower action " + actions + "\n");
  return run(rules, frame);
}

std::vector<uint8_t> corrupt(std::vector<uint8_t> f, std::initializer_list<size_t> at) {
  for (size_t i : at) f[i] ^= 0x5a;
  return f;
}

TEST(VlanAction, PushInsertsAnOuterTag) {
  auto out = act("vlan push id 10 priority 3", FrameBuilder().eth().ipv4().udp().build());
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_EQ(out.output, FrameBuilder().eth().vlan(10, 3).ipv4().udp().build());
  auto ad =
      act("vlan push id 7 protocol 802.1ad", FrameBuilder().eth().vlan(20).ipv4().udp().build());
  EXPECT_EQ(ad.output, FrameBuilder().eth().qinq(7, 20).ipv4().udp().build());
}

TEST(VlanAction, PopRemovesTheOuterTagOnly) {
  EXPECT_EQ(act("vlan pop", FrameBuilder().eth().vlan(10).ipv4().udp().build()).output,
            FrameBuilder().eth().ipv4().udp().build());
  EXPECT_EQ(act("vlan pop", FrameBuilder().eth().qinq(10, 20).ipv4().udp().build()).output,
            FrameBuilder().eth().vlan(20).ipv4().udp().build());
  auto untagged = FrameBuilder().eth().ipv4().udp().build();
  EXPECT_EQ(act("vlan pop", untagged).output, untagged);
}

TEST(VlanAction, ModifyKeepsPriorityUnlessGiven) {
  auto tagged = FrameBuilder().eth().vlan(10, 5).ipv4().udp().build();
  EXPECT_EQ(act("vlan modify id 20", tagged).output,
            FrameBuilder().eth().vlan(20, 5).ipv4().udp().build());
  EXPECT_EQ(act("vlan modify id 20 priority 1", tagged).output,
            FrameBuilder().eth().vlan(20, 1).ipv4().udp().build());
  auto untagged = FrameBuilder().eth().ipv4().udp().build();
  EXPECT_EQ(act("vlan modify id 20", untagged).output, untagged);
}

TEST(PeditAction, TtlDecrementThenIpv4HeaderChecksum) {
  auto out = act("pedit ex munge ip ttl decrement pipe action csum iph",
                 FrameBuilder().eth().ipv4({.ttl = 64}).tcp().build());
  EXPECT_EQ(out.output[14 + 8], 63);
  EXPECT_EQ(inet_checksum(out.output.data() + 14, 20), 0) << "IPv4 header checksum";
  // ttl 0 wraps to 255: the carry is masked off.
  auto wrap =
      act("pedit ex munge ip ttl decrement", FrameBuilder().eth().ipv4({.ttl = 0}).tcp().build());
  EXPECT_EQ(wrap.output[14 + 8], 255);
  EXPECT_EQ(wrap.output[14 + 9], 6) << "the protocol byte next to ttl is untouched";
}

TEST(PeditAction, SetAddressesThenChecksums) {
  auto in = FrameBuilder().eth().ipv4().tcp().payload(5).build();
  auto out =
      act("pedit ex munge ip dst set 192.0.2.1 munge eth dst set 02:00:00:00:00:99 pipe "
          "action csum iph and tcp",
          in);
  auto want = FrameBuilder()
                  .eth({.dst = {2, 0, 0, 0, 0, 0x99}})
                  .ipv4({.dst = ip4(192, 0, 2, 1)})
                  .tcp()
                  .payload(5)
                  .build();
  EXPECT_EQ(out.output, want);
}

TEST(PeditAction, TcpHeaderFollowsIpv4Options) {
  auto in = FrameBuilder().eth().ipv4({.options = {1, 1, 1, 1}}).tcp({.dport = 80}).build();
  auto out = act("pedit ex munge tcp dport set 8080 pipe action csum tcp", in);
  EXPECT_EQ(out.output,
            FrameBuilder().eth().ipv4({.options = {1, 1, 1, 1}}).tcp({.dport = 8080}).build());
}

TEST(PeditAction, UdpHeaderBehindIpv6Extensions) {
  auto in =
      FrameBuilder().eth().ipv6().ipv6_ext(0).udp({.sport = 1, .dport = 53}).payload(3).build();
  auto out = act("pedit ex munge udp sport set 5353 pipe action csum udp", in);
  EXPECT_EQ(
      out.output,
      FrameBuilder().eth().ipv6().ipv6_ext(0).udp({.sport = 5353, .dport = 53}).payload(3).build());
}

TEST(PeditAction, OffsetsSkipTheOuterVlanTag) {
  // At ingress the outer tag is skb metadata: "ip ttl" is 8 bytes into the IP header, not the tag.
  auto in = FrameBuilder().eth().vlan(10).ipv4({.ttl = 9}).udp().build();
  auto out = act("pedit ex munge ip ttl set 1 pipe action csum iph and udp", in);
  EXPECT_EQ(out.output, FrameBuilder().eth().vlan(10).ipv4({.ttl = 1}).udp().build());
  // eth type names the ethertype behind the tag (the skb's MAC header has none).
  auto t = act("pedit ex munge eth type set 0x86dd", in);
  EXPECT_EQ(t.output[12], 0x81);
  EXPECT_EQ(t.output[16], 0x86);
  EXPECT_EQ(t.output[17], 0xdd);
}

TEST(PeditAction, AddUsesTheKernelsLittleEndianWordArithmetic) {
  auto dport = [](uint16_t port, const std::string& add) {
    auto out = act("pedit ex munge tcp dport add " + add,
                   FrameBuilder().eth().ipv4().tcp({.dport = port}).build());
    return static_cast<uint16_t>(out.output[34 + 2] << 8 | out.output[34 + 3]);
  };
  EXPECT_EQ(dport(80, "1"), 81);
  // The carry out of the port's low byte runs off the end of the little-endian word: lost.
  EXPECT_EQ(dport(0x00ff, "1"), 0x0000);
  // ...and a carry out of the high byte runs into the low byte.
  EXPECT_EQ(dport(0xff00, "0x100"), 0x0001);
}

TEST(PeditAction, AKeyOutsideTheFrameStopsTheAction) {
  auto in = FrameBuilder().eth().ipv4({.ttl = 9, .protocol = 6}).build();  // no TCP header
  auto out = act(
      "pedit ex munge ip ttl set 1 munge tcp dport set 1 munge ip tos set 4 pipe action drop", in);
  EXPECT_EQ(out.output[14 + 8], 1);        // applied
  EXPECT_EQ(out.output[14 + 1], 0);        // after the failing key: not applied
  EXPECT_EQ(out.verdict, Verdict::kDrop);  // the verdict is still pedit's (pipe)
}

TEST(CsumAction, RecomputesIpv4L4Checksums) {
  const std::vector<std::vector<uint8_t>> frames = {
      FrameBuilder().eth().ipv4().tcp().payload(7).build(),
      FrameBuilder().eth().ipv4().udp().payload(3).build(),
      FrameBuilder().eth().ipv4().icmp(8).payload(9).build(),
      FrameBuilder().eth().vlan(4).ipv4().udp().payload(1).build(),
  };
  const std::vector<size_t> l4_csum = {34 + 16, 34 + 6, 34 + 2, 38 + 6};
  for (size_t i = 0; i < frames.size(); ++i) {
    const size_t ip = i == 3 ? 18 : 14;
    auto broken = corrupt(frames[i], {ip + 10, l4_csum[i]});
    auto out = act("csum iph and tcp and udp and icmp", broken);
    EXPECT_EQ(out.verdict, Verdict::kPass);
    EXPECT_EQ(out.output, frames[i]) << i;
  }
}

TEST(CsumAction, RecomputesIpv6L4Checksums) {
  const std::vector<std::vector<uint8_t>> frames = {
      FrameBuilder().eth().ipv6().tcp().payload(7).build(),
      FrameBuilder().eth().ipv6().ipv6_ext(0).ipv6_ext(60).udp().payload(3).build(),
      FrameBuilder().eth().ipv6().icmpv6(128).payload(4).build(),
  };
  const std::vector<size_t> l4_csum = {54 + 16, 70 + 6, 54 + 2};
  for (size_t i = 0; i < frames.size(); ++i) {
    auto out = act("csum tcp and udp and icmp", corrupt(frames[i], {l4_csum[i]}));
    EXPECT_EQ(out.output, frames[i]) << i;
  }
}

TEST(CsumAction, UdpWithoutChecksumKeepsNone) {
  auto f = FrameBuilder().eth().ipv4().udp({.zero_checksum = true}).payload(4).build();
  EXPECT_EQ(act("csum udp", f).output, f);
}

TEST(CsumAction, FlagsLimitWhatIsRecomputed) {
  auto f = FrameBuilder().eth().ipv4().tcp().build();
  auto broken = corrupt(f, {24, 50});
  auto out = act("csum iph", broken);
  EXPECT_EQ(out.output[24], f[24]);       // header fixed
  EXPECT_EQ(out.output[50], broken[50]);  // tcp left alone
}

TEST(CsumAction, TruncatedIpPayloadDrops) {
  auto f = FrameBuilder().eth().ipv4({.total_length = 200}).tcp().build();
  EXPECT_EQ(act("csum tcp", f).verdict, Verdict::kDrop);
  EXPECT_EQ(act("csum udp", f).verdict, Verdict::kPass);  // nothing to do for TCP: no failure
}

TEST(Actions, MetadataActionsLeaveTheFrame) {
  auto f = FrameBuilder().eth().ipv4().tcp().build();
  auto out = act("skbedit mark 5 pipe action drop", f);
  EXPECT_EQ(out.verdict, Verdict::kDrop);
  EXPECT_EQ(out.output, f);
}

}  // namespace
}  // namespace tc2xdp::reference
