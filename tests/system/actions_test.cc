// Rewriting actions on real traffic: a frame arriving on a veth in namespace b is rewritten by the
// program (pedit dst MAC and IP, csum, vlan push) and redirected out of another veth to namespace
// a, whose kernel stack must accept it: a UDP socket there receives the payload only if the IP and
// UDP checksums are right; a packet socket sees the pushed tag (the stack moves it into the skb's
// VLAN metadata, reported as PACKET_AUXDATA) and the checksums of the frame behind it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
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

std::vector<uint8_t> udp_frame(uint16_t dport, const std::string& text) {
  std::vector<uint8_t> frame =
      FrameBuilder()
          .eth()
          .ipv4({.src = {10, 7, 0, 1}, .dst = {192, 0, 2, 99}, .bad_checksum = true})
          .udp({.sport = 4000, .dport = dport})
          .payload(std::vector<uint8_t>(text.begin(), text.end()))
          .build();
  frame[14 + 20 + 6] ^= 0x5a;  // a wrong UDP checksum too: csum recomputes, it does not patch
  return frame;
}

// One's complement sum of 16-bit big-endian words.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

// An IPv4/UDP frame (untagged, as a packet socket hands it over) whose checksums both verify.
bool checksums_verify(const std::vector<uint8_t>& f) {
  if (f.size() < 42) return false;
  const uint8_t* ip = f.data() + 14;
  const size_t ihl = (ip[0] & 15) * 4u;
  if (sum16(ip, ihl) != 0xffff) return false;
  const size_t udp_len = static_cast<size_t>(ip[ihl + 4] << 8 | ip[ihl + 5]);
  uint8_t pseudo[12];
  std::memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0, pseudo[9] = 17, pseudo[10] = ip[ihl + 4], pseudo[11] = ip[ihl + 5];
  return sum16(ip + ihl, udp_len, sum16(pseudo, 12)) == 0xffff;
}

class ActionsSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("axa0", "axb0");  // sender -> program
    topo_.add_veth("axa1", "axb1");  // program's redirect -> receiving stack
    Datapath::detach("axb0");
    const std::string a = topo_.a();
    sh("ip -n " + a + " addr add 10.7.1.2/24 dev axa1");
    sh("ip netns exec " + a + " sysctl -qw net.ipv4.conf.all.rp_filter=0");
    sh("ip netns exec " + a + " sysctl -qw net.ipv4.conf.axa1.rp_filter=0");
    // Routes back to the sender's address, so the reverse path is plausible anyway.
    sh("ip -n " + a + " route add 10.7.0.0/24 dev axa1");
    {
      // A veth delivers redirected frames only to a peer that runs an XDP program.
      NetnsScope in_a(a);
      auto prog = load_trivial_xdp(2 /* XDP_PASS */, "t2x_pass");
      ASSERT_TRUE(prog) << prog.error().to_string();
      auto link = XdpLink::attach(if_nametoindex("axa1"), prog->get(), XdpMode::kNative);
      ASSERT_TRUE(link) << link.error().to_string();
      peer_link_.emplace(std::move(*link));
    }
    std::string peer_mac = sh("ip -n " + a + " -o link show axa1");
    peer_mac = peer_mac.substr(peer_mac.find("link/ether ") + 11, 17);
    const std::string rules =
        "filter add dev axb0 ingress pref 10 protocol ip flower ip_proto udp dst_port 5555 "
        "action pedit ex munge eth dst set " +
        peer_mac +
        " munge ip dst set 10.7.1.2 "
        "munge ip ttl dec pipe action csum iph and udp pipe "
        "action mirred egress redirect dev axb1\n"
        "filter add dev axb0 ingress pref 20 protocol ip flower ip_proto udp dst_port 6666 "
        "action pedit ex munge eth dst set " +
        peer_mac +
        " munge ip dst set 10.7.2.2 pipe "
        "action csum iph and udp pipe action vlan push id 42 priority 5 pipe "
        "action mirred egress redirect dev axb1\n";
    ir::RuleSet set;
    Diagnostics diags;
    ASSERT_TRUE(frontend::tc::load_rules(rules, "actions.tc", set, diags)) << diags.to_string();
    NetnsScope in_b(topo_.b());
    auto report = Datapath::apply("axb0", set, {}, diags);
    ASSERT_TRUE(report) << report.error().to_string() << "\n" << diags.to_string();
  }
  void TearDown() override {
    NetnsScope in_b(topo_.b());
    Datapath::detach("axb0");
  }
  void send(const std::vector<uint8_t>& frame) {
    NetnsScope in_a(topo_.a());
    RawSender("axa0").send(frame, 3);
  }
  std::vector<uint64_t> packets() {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("axb0");
    std::vector<uint64_t> out;
    if (!dp) return out;
    auto counters = dp->counters();
    if (counters)
      for (const auto& c : *counters) out.push_back(c.packets);
    return out;
  }

  TestTopology topo_{"t2xact"};
  std::optional<XdpLink> peer_link_;
};

TEST_F(ActionsSystemTest, PeditAndCsumMakeTheStackDeliverTheRedirectedFrame) {
  std::optional<UdpReceiver> receiver;
  {
    NetnsScope in_a(topo_.a());
    receiver.emplace("10.7.1.2", 5555);
  }
  send(udp_frame(5555, "rewritten and checksummed"));
  EXPECT_EQ(receiver->receive(), "rewritten and checksummed");
  const auto counted = packets();
  ASSERT_EQ(counted.size(), 2u);
  EXPECT_EQ(counted[0], 3u);
  EXPECT_EQ(counted[1], 0u);
}

TEST_F(ActionsSystemTest, VlanPushIsSeenByTheReceivingStack) {
  std::optional<PacketReceiver> receiver;
  {
    NetnsScope in_a(topo_.a());
    receiver.emplace("axa1");
  }
  send(udp_frame(6666, "tagged"));
  auto frame = receiver->next_udp(6666);
  ASSERT_TRUE(frame) << "no frame for port 6666 reached axa1";
  ASSERT_TRUE(frame->vlan_tci) << "the frame arrived untagged";
  EXPECT_EQ(*frame->vlan_tci, 5 << 13 | 42);  // priority 5, VID 42
  if (frame->vlan_tpid) {
    EXPECT_EQ(*frame->vlan_tpid, 0x8100);
  }
  // Behind the tag: the rewritten destination, and checksums the stack would accept.
  EXPECT_EQ(frame->bytes[30], 10);
  EXPECT_EQ(frame->bytes[33], 2);  // 10.7.2.2
  EXPECT_TRUE(checksums_verify(frame->bytes));
  const auto counted = packets();
  ASSERT_EQ(counted.size(), 2u);
  EXPECT_EQ(counted[1], 3u);
}

}  // namespace
}  // namespace tc2xdp::runtime
