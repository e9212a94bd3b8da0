// 1,000 rule updates under live traffic: data-only changes (map writes) mixed with shape changes
// (recompile and swap) while a sender streams frames that only two stable rules match. No frame
// may be misclassified (counted by a churning rule, or missed by the stable ones), and the
// stable rules' counters must reconcile exactly with what reached XDP across every swap.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

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
using tc2xdp::testing::TestTopology;

constexpr uint16_t kStableDrop = 5000, kStablePass = 5001;

std::string udp_rule(uint32_t pref, uint16_t port, const char* action) {
  return "filter add dev utb0 ingress pref " + std::to_string(pref) +
         " protocol ip flower ip_proto udp dst_port " + std::to_string(port) + " action " + action +
         "\n";
}

std::vector<ir::Command> commands(const std::string& text) {
  Diagnostics diags;
  auto cmds = frontend::tc::parse_batch(text, "updates.tc", diags);
  EXPECT_FALSE(diags.has_errors()) << diags.to_string();
  return cmds;
}

TEST(UpdateUnderTraffic, ThousandUpdatesMisclassifyNothingAndLoseNoCount) {
  if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
  TestTopology topo("t2xut");
  topo.add_veth("uta0", "utb0");
  NetnsScope in_b(topo.b());
  Datapath::detach("utb0");

  // Two stable rules first (lowest prefs, so churn never moves a tuple's floor), then churn.
  std::string base = udp_rule(10, kStableDrop, "drop") + udp_rule(11, kStablePass, "pass");
  for (uint32_t i = 0; i < 200; ++i) base += udp_rule(100 + i, 20000 + i, i % 2 ? "pass" : "drop");
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(base, "base.tc", rules, diags)) << diags.to_string();
  ASSERT_TRUE(Datapath::apply("utb0", rules, {}, diags).ok());
  auto dp = Datapath::open("utb0");
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();
  ASSERT_EQ(dp->plan().tables.size(), 1u);

  std::atomic<bool> stop = false;
  std::atomic<uint64_t> sent = 0;
  std::thread sender([&] {
    NetnsScope in_a(topo.a());
    RawSender out("uta0");
    const auto drop = FrameBuilder().eth().ipv4().udp({.dport = kStableDrop}).pad_to(60).build();
    const auto pass = FrameBuilder().eth().ipv4().udp({.dport = kStablePass}).pad_to(60).build();
    while (!stop) {
      out.send(drop, 5);
      out.send(pass, 5);
      sent += 10;
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // mostly under the veth ring
    }
  });

  std::mt19937 rng(2026);
  std::set<uint32_t> present;  // churn prefs in the set
  for (uint32_t i = 0; i < 200; ++i) present.insert(100 + i);
  bool shaped = false;
  size_t data_only = 0, swaps = 0;
  for (int update = 0; update < 1000; ++update) {
    std::string text;
    if (update % 25 == 24) {  // an inline rule (continue: no table takes it) comes or goes
      text = shaped ? "filter del dev utb0 ingress pref 900 protocol ip flower\n"
                    : "filter add dev utb0 ingress pref 900 protocol ip flower ip_proto tcp "
                      "src_port 7 action continue\n";
      shaped = !shaped;
    } else {
      const uint32_t pref = 100 + rng() % 400;
      if (present.contains(pref)) {
        text = "filter del dev utb0 ingress pref " + std::to_string(pref) + " protocol ip flower\n";
        present.erase(pref);
      } else {
        text = udp_rule(pref, static_cast<uint16_t>(20000 + pref), rng() % 2 ? "pass" : "drop");
        present.insert(pref);
      }
    }
    Diagnostics d;
    auto report = dp->apply(commands(text), d);
    ASSERT_TRUE(report.ok()) << "update " << update << ": " << report.error().to_string() << "\n"
                             << text;
    (report->data_only ? data_only : swaps) += 1;
  }
  stop = true;
  sender.join();
  EXPECT_GT(data_only, 900u);
  EXPECT_GE(swaps, 40u);

  const uint64_t dropped = std::stoull(tc2xdp::testing::sh(
      "ip netns exec " + topo.a() + " cat /sys/class/net/uta0/statistics/tx_dropped"));
  const auto stable_and_churn = [&] {
    uint64_t stable = 0, churn = 0;
    auto counters = dp->counters();
    if (!counters) return std::pair<uint64_t, uint64_t>{0, 0};
    for (size_t i = 0; i < counters->size(); ++i) {
      const uint32_t pref = dp->rules().rules()[i].pref;
      (pref == 10 || pref == 11 ? stable : churn) += (*counters)[i].packets;
    }
    return std::pair{stable, churn};
  };
  EXPECT_TRUE(eventually([&] { return stable_and_churn().first == sent.load() - dropped; }))
      << "sent " << sent.load() << ", dropped by veth " << dropped << ", counted by the stable "
      << "rules " << stable_and_churn().first;
  EXPECT_EQ(stable_and_churn().second, 0u) << "a churning rule counted a stable frame";
  std::printf(
      "[ updates ] 1000 updates: %zu data-only, %zu swaps; %llu frames sent, %llu dropped "
      "by the veth ring, all others counted by their rule\n",
      data_only, swaps, static_cast<unsigned long long>(sent.load()),
      static_cast<unsigned long long>(dropped));
  Datapath::detach("utb0");
}

}  // namespace
}  // namespace tc2xdp::runtime
