// Every packet's verdict checked against the rule set current for it, while rules churn. A sender
// streams UDP frames to ports whose rules are added (pass or drop) and deleted in place, with a
// shape change (recompile and swap) every 25th update. Each frame carries a sequence number and
// the generation (number of updates applied) read just before it was sent; a packet socket behind
// XDP records the frames that passed, and the generation when each arrived.
//
// A frame may be classified by any rule set from the one current when it was sent to the one
// being applied when it arrived (passed frames), or a few generations on (dropped frames, which
// never arrive): its verdict must be that of one of them. Frames whose window holds one verdict
// only are the bulk; the test requires that they are.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "common/frame_builder.h"
#include "netns.h"
#include "raw_sender.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::runtime {
namespace {

using tc2xdp::testing::FrameBuilder;
using tc2xdp::testing::NetnsScope;
using tc2xdp::testing::RawSender;
using tc2xdp::testing::TestTopology;

constexpr uint16_t kFirstPort = 30000;
constexpr size_t kPorts = 64;
constexpr int kUpdates = 600;
constexpr size_t kDropWindow = 3;  // generations a dropped frame may lag behind its send

enum Verdict : uint8_t { kNoRule = 0, kPassRule = 1, kDropRule = 2 };
using State = std::array<uint8_t, kPorts>;  // per port: kNoRule, kPassRule, kDropRule

std::string rule_text(size_t port, bool drop) {
  return "filter add dev usb0 ingress pref " + std::to_string(100 + port) +
         " protocol ip flower ip_proto udp dst_port " + std::to_string(kFirstPort + port) +
         " action " + (drop ? "drop" : "pass") + "\n";
}

std::vector<ir::Command> commands(const std::string& text) {
  Diagnostics diags;
  auto cmds = frontend::tc::parse_batch(text, "updates.tc", diags);
  EXPECT_FALSE(diags.has_errors()) << diags.to_string();
  return cmds;
}

struct Sent {
  uint16_t port = 0;
  uint32_t generation = 0;
};

TEST(UpdateSequence, EveryPacketIsClassifiedByARuleSetCurrentForIt) {
  if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
  TestTopology topo("t2xsq");
  topo.add_veth("usa0", "usb0");
  NetnsScope in_b(topo.b());
  Datapath::detach("usb0");

  std::mt19937 rng(7);
  std::vector<State> states(1);  // states[g]: the rules after g updates
  // Filler rules no frame hits, so the planner puts the churning prefs in a hash table.
  std::string base;
  for (int i = 0; i < 300; ++i)
    base += "filter add dev usb0 ingress pref " + std::to_string(1000 + i) +
            " protocol ip flower ip_proto udp dst_port " + std::to_string(40000 + i) +
            " action drop\n";
  for (size_t p = 0; p < kPorts; p += 2) {
    const bool drop = rng() % 2;
    base += rule_text(p, drop);
    states[0][p] = drop ? kDropRule : kPassRule;
  }
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(base, "base.tc", rules, diags)) << diags.to_string();
  ASSERT_TRUE(Datapath::apply("usb0", rules, {}, diags).ok());
  auto dp = Datapath::open("usb0");
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();

  std::atomic<uint32_t> generation = 0;
  std::atomic<bool> stop_sending = false, stop_receiving = false;
  // The receiver: frames XDP passed, with the generation when they arrived.
  const int rx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  ASSERT_GE(rx, 0);
  sockaddr_ll bind_to{};
  bind_to.sll_family = AF_PACKET;
  bind_to.sll_protocol = htons(ETH_P_ALL);
  bind_to.sll_ifindex = static_cast<int>(if_nametoindex("usb0"));
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&bind_to), sizeof bind_to), 0);
  const int buffer = 64 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  timeval poll{0, 100000};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &poll, sizeof poll);
  std::vector<uint32_t> arrived;  // by sequence: generation + 1 on arrival, 0 if never
  std::mutex arrived_mutex;
  std::thread receiver([&] {
    std::array<uint8_t, 2048> frame{};
    while (!stop_receiving) {
      const ssize_t n = recv(rx, frame.data(), frame.size(), 0);
      const uint32_t now = generation.load();
      if (n < 50 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 17) continue;
      uint64_t seq;
      std::memcpy(&seq, frame.data() + 42, sizeof seq);
      std::lock_guard lock(arrived_mutex);
      if (seq >= arrived.size()) arrived.resize(seq + 1, 0);
      arrived[seq] = now + 1;
    }
  });

  std::vector<Sent> sent;
  std::thread sender([&] {
    NetnsScope in_a(topo.a());
    RawSender out("usa0");
    std::mt19937 pick(11);
    while (!stop_sending) {
      for (int i = 0; i < 4; ++i) {
        const uint64_t seq = sent.size();
        const auto port = static_cast<uint16_t>(pick() % kPorts);
        std::vector<uint8_t> payload(8);
        std::memcpy(payload.data(), &seq, sizeof seq);
        const auto frame =
            FrameBuilder()
                .eth()
                .ipv4()
                .udp({.sport = 1234, .dport = static_cast<uint16_t>(kFirstPort + port)})
                .payload(payload)
                .pad_to(60)
                .build();
        sent.push_back({port, generation.load()});
        out.send(frame);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(40));  // under the veth ring
    }
  });

  size_t in_place = 0, swaps = 0;
  bool shaped = false;
  for (int update = 0; update < kUpdates; ++update) {
    State next = states.back();
    std::string text;
    if (update % 25 == 24) {  // an inline rule after the table, matching no UDP frame: a new shape
      text = shaped ? "filter del dev usb0 ingress pref 5000 protocol ip flower\n"
                    : "filter add dev usb0 ingress pref 5000 protocol ip flower ip_proto tcp "
                      "src_port 7 action continue\n";
      shaped = !shaped;
    } else {
      const size_t port = rng() % kPorts;
      if (next[port] != kNoRule) {
        text = "filter del dev usb0 ingress pref " + std::to_string(100 + port) +
               " protocol ip flower\n";
        next[port] = kNoRule;
      } else {
        const bool drop = rng() % 2;
        text = rule_text(port, drop);
        next[port] = drop ? kDropRule : kPassRule;
      }
    }
    Diagnostics d;
    auto report = dp->apply(commands(text), d);
    ASSERT_TRUE(report.ok()) << "update " << update << ": " << report.error().to_string();
    (report->data_only ? in_place : swaps) += 1;
    states.push_back(next);
    generation.store(static_cast<uint32_t>(states.size() - 1));
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop_sending = true;
  sender.join();
  // Frames still in flight reach the receiver before it stops listening.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop_receiving = true;
  receiver.join();
  tpacket_stats socket_stats{};
  socklen_t len = sizeof socket_stats;
  getsockopt(rx, SOL_PACKET, PACKET_STATISTICS, &socket_stats, &len);
  close(rx);
  const uint64_t ring_drops = std::stoull(tc2xdp::testing::sh(
      "ip netns exec " + topo.a() + " cat /sys/class/net/usa0/statistics/tx_dropped"));
  ASSERT_EQ(socket_stats.tp_drops, 0u) << "the receiver lost frames: the check would be blind";
  ASSERT_EQ(ring_drops, 0u) << "the veth ring dropped frames: the check would be blind";

  size_t misclassified = 0, wrongly_dropped = 0, unambiguous = 0;
  const uint32_t last = static_cast<uint32_t>(states.size() - 1);
  arrived.resize(sent.size(), 0);
  for (size_t seq = 0; seq < sent.size(); ++seq) {
    const Sent& s = sent[seq];
    const bool passed = arrived[seq] != 0;
    // An update in progress when the frame arrived may already have been classifying it.
    const uint32_t until =
        std::min<uint32_t>(last, passed ? arrived[seq] - 1 + 1 : s.generation + kDropWindow);
    bool allowed = false, all_same = true;
    const bool first_drops = states[s.generation][s.port] == kDropRule;
    for (uint32_t g = s.generation; g <= until; ++g) {
      const bool drops = states[g][s.port] == kDropRule;
      allowed |= drops != passed;
      all_same &= drops == first_drops;
    }
    unambiguous += all_same;
    if (!allowed) {
      ++misclassified;
      wrongly_dropped += !passed;
      if (misclassified <= 5)
        ADD_FAILURE() << "frame " << seq << " to port " << kFirstPort + s.port << " sent at "
                      << "generation " << s.generation << " was " << (passed ? "passed" : "dropped")
                      << " (arrived at generation " << until << ")";
    }
  }
  std::printf(
      "[ sequence ] %d updates (%zu in place, %zu swaps), %zu frames: %zu misclassified, %zu "
      "wrongly dropped, %zu with one possible verdict\n",
      kUpdates, in_place, swaps, sent.size(), misclassified, wrongly_dropped, unambiguous);
  EXPECT_EQ(misclassified, 0u);
  EXPECT_GT(sent.size(), 10000u);
  EXPECT_GT(unambiguous, sent.size() * 9 / 10);
  EXPECT_GE(swaps, 20u);
  EXPECT_GT(in_place, 500u);
  Datapath::detach("usb0");
}

}  // namespace
}  // namespace tc2xdp::runtime
