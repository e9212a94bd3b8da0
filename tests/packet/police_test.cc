// act_police in the compiled program, frame sequence by frame sequence, against the reference's
// model with its state carried across frames: verdicts, output bytes, deciding rule, per-rule
// counters and the policers' own counters (packets, bytes, overlimits, drops).
//
// Outcomes must not depend on when the frames run. The reference's clock stands still; the
// program's runs on, so the rates are chosen so low that the refill during a test (well under a
// second) cannot change a decision: each bucket ends half a packet (0.4 s or more of tokens) away
// from its next decision, or is counted in whole seconds.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/frame_builder.h"
#include "root_check.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/police_state.h"
#include "tc2xdp/runtime/program_check.h"
#include "tc2xdp/runtime/test_run.h"

namespace tc2xdp::testing {
namespace {

using reference::Verdict;

// A rule set loaded next to the reference, with one police state carried across frames.
class Policed {
 public:
  explicit Policed(const std::string& text, plan::LookupPolicy lookup = {}) {
    Diagnostics diags;
    ok_ = frontend::tc::load_rules(text, "police.tc", rules_, diags);
    EXPECT_TRUE(ok_) << diags.to_string();
    if (!ok_) return;
    plan::PlanOptions options;
    options.lookup = lookup;
    options.resolve_device = [](const std::string& dev) -> std::optional<uint32_t> {
      return dev == "lo" ? std::optional<uint32_t>(1) : std::nullopt;
    };
    plan_ = plan::make_plan(rules_, options, diags);
    EXPECT_EQ(plan_.punted_count(), 0u) << plan::describe(plan_, rules_);
    auto program = codegen::compile(rules_, plan_);
    ok_ = program.ok();
    EXPECT_TRUE(ok_) << program.error().to_string();
    if (!ok_) return;
    auto loaded = runtime::LoadedProgram::load(plan_, *program, options.resolve_device);
    ok_ = loaded.ok();
    EXPECT_TRUE(ok_) << loaded.error().to_string() << "\n" << loaded.error().detail;
    if (!ok_) return;
    loaded_.emplace(std::move(*loaded));
    options_ = runtime::reference_options(plan_, rules_, options.resolve_device);
    options_.police = &state_;
    options_.now_ns = 0;
  }
  bool ok() const { return ok_; }
  const plan::Plan& plan() const { return plan_; }
  int program_fd() const { return loaded_->program_fd(); }

  // Both sides' buckets as if created `age_ns` ago (full byte buckets, packet buckets filled by
  // that much time).
  void age(int64_t age_ns) {
    ASSERT_TRUE(loaded_->restart_policers(runtime::monotonic_ns() - age_ns).ok());
    state_ = {-age_ns, {}};
  }

  // Runs the frame through both sides; any disagreement fails the test. The program's verdict.
  Verdict run(const std::vector<uint8_t>& frame, uint32_t ifindex = 1) {
    auto got = loaded_->run(frame, ifindex);
    EXPECT_TRUE(got.ok()) << got.error().to_string();
    if (!got.ok()) return Verdict::kAborted;
    const auto expected = reference::classify(rules_, frame, ifindex, options_);
    for (const auto& hit : expected.hits) {
      expected_counters_[hit.index].packets += 1;
      expected_counters_[hit.index].bytes += frame.size();
    }
    EXPECT_EQ(runtime::compare_outcomes(*got, expected, rules_), "")
        << "frame " << ++frames_ << "\n"
        << expected.explanation;
    return got->verdict;
  }
  // Runs `n` copies; returns how many passed (or were redirected).
  size_t run_many(const std::vector<uint8_t>& frame, size_t n) {
    size_t passed = 0;
    for (size_t i = 0; i < n; ++i) {
      const Verdict v = run(frame);
      passed += v == Verdict::kPass || v == Verdict::kRedirect;
    }
    return passed;
  }

  // Rule counters and every policer's counters agree with the reference.
  void check_counters() {
    auto counters = loaded_->counters();
    ASSERT_TRUE(counters.ok());
    for (size_t i = 0; i < counters->size(); ++i) {
      EXPECT_EQ((*counters)[i].packets, expected_counters_[i].packets) << "rule " << i;
      EXPECT_EQ((*counters)[i].bytes, expected_counters_[i].bytes) << "rule " << i;
    }
    for (const plan::Policer& p : plan_.policers) {
      auto read = runtime::read_policer(loaded_->police_maps(), p.id);
      ASSERT_TRUE(read.ok()) << read.error().to_string();
      const reference::PolicerCounters want = reference_counters(p);
      EXPECT_EQ(read->counters.packets, want.packets) << "policer " << p.id;
      EXPECT_EQ(read->counters.bytes, want.bytes) << "policer " << p.id;
      EXPECT_EQ(read->counters.overlimits, want.overlimits) << "policer " << p.id;
      EXPECT_EQ(read->counters.drops, want.drops) << "policer " << p.id;
    }
  }
  reference::PolicerCounters reference_counters(const plan::Policer& p) const {
    reference::PolicerKey key;
    if (p.index) {
      key.index = p.index;
    } else {
      const ir::Rule& r = rules_.rules()[p.rules.front()];
      key = {std::nullopt, r.chain, r.pref, r.handle, 0};
      while (!std::holds_alternative<ir::PoliceAction>(r.actions[key.action].body)) ++key.action;
    }
    auto it = state_.policers.find(key);
    return it == state_.policers.end() ? reference::PolicerCounters{} : it->second.counters;
  }
  // The program's counters of the policer rule `rule` runs.
  plan::PoliceCounters police_counters(size_t rule) {
    const plan::Policer* p = runtime::policer_of_rule(plan_, rule);
    EXPECT_NE(p, nullptr);
    auto read = runtime::read_policer(loaded_->police_maps(), p->id);
    EXPECT_TRUE(read.ok());
    return read->counters;
  }

 private:
  bool ok_ = false;
  ir::RuleSet rules_;
  plan::Plan plan_;
  std::optional<runtime::LoadedProgram> loaded_;
  reference::PoliceState state_;
  reference::Options options_;
  std::map<size_t, plan::RuleCounters> expected_counters_;
  size_t frames_ = 0;
};

// A UDP/IPv4 frame of `size` bytes.
std::vector<uint8_t> udp4(size_t size, uint16_t dport = 53) {
  auto f = FrameBuilder().eth().ipv4().udp({.dport = dport}).build();
  return FrameBuilder().eth().ipv4().udp({.dport = dport}).payload(size - f.size()).build();
}

constexpr int64_t kSecond = 1000000000;

// 100-byte frames: 86 bytes as qdisc_pkt_len counts them, 0.86 s each at 100 bytes/s.
TEST(PoliceTest, ByteBucketPassesItsBurstThenDrops) {
  TC2XDP_REQUIRE_ROOT();
  const std::vector<plan::LookupPolicy> lookups = {plan::LookupPolicy::kInlineOnly,
                                                   plan::LookupPolicy::kAlwaysTable};
  for (auto lookup : lookups) {
    // 5 frames' worth and half of one more.
    Policed p(
        "filter add dev eth0 ingress pref 1 protocol ip flower ip_proto udp "
        "action police rate 800bit burst 473 conform-exceed drop/ok\n"
        "filter add dev eth0 ingress pref 2 protocol ip flower action drop\n",
        lookup);
    if (!p.ok()) return;
    EXPECT_EQ(p.run_many(udp4(100), 12), 5u);
    const auto c = p.police_counters(0);
    EXPECT_EQ(c.packets, 12u);
    EXPECT_EQ(c.bytes, 12u * 86);
    EXPECT_EQ(c.overlimits, 7u);
    EXPECT_EQ(c.drops, 7u);
    p.check_counters();
  }
}

TEST(PoliceTest, FrameLengthsAreTheKernelsAtIngress) {
  TC2XDP_REQUIRE_ROOT();
  // mtu alone: frames up to 100 bytes with the MAC header, an outer tag not counted.
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol all flower action police mtu 100 "
      "conform-exceed drop/ok\n");
  if (!p.ok()) return;
  EXPECT_EQ(p.run(udp4(100)), Verdict::kPass);
  EXPECT_EQ(p.run(udp4(101)), Verdict::kDrop);
  auto tagged = [](size_t size) {
    auto f = FrameBuilder().eth().vlan(7).ipv4().udp().build();
    return FrameBuilder().eth().vlan(7).ipv4().udp().payload(size - f.size()).build();
  };
  EXPECT_EQ(p.run(tagged(104)), Verdict::kPass);
  EXPECT_EQ(p.run(tagged(105)), Verdict::kDrop);
  const auto c = p.police_counters(0);
  EXPECT_EQ(c.packets, 4u);
  EXPECT_EQ(c.bytes, 86u + 87 + 86 + 87);
  EXPECT_EQ(c.overlimits, 2u);
  EXPECT_EQ(c.drops, 2u);
  p.check_counters();
}

TEST(PoliceTest, DefaultMtuIs255CellsOfTheRateTable) {
  TC2XDP_REQUIRE_ROOT();
  // No mtu with a rate: 255 << cell_log, 2040 bytes by default, 255 * 16 with "burst SIZE/16".
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol ip flower ip_proto udp dst_port 53 "
      "action police rate 1gbit burst 1m conform-exceed drop/ok\n"
      "filter add dev eth0 ingress pref 2 protocol ip flower ip_proto udp dst_port 54 "
      "action police rate 1gbit burst 1m/16 conform-exceed drop/ok\n");
  if (!p.ok()) return;
  EXPECT_EQ(p.run(udp4(2040, 53)), Verdict::kPass);
  EXPECT_EQ(p.run(udp4(2041, 53)), Verdict::kDrop);
  EXPECT_EQ(p.run(udp4(2041, 54)), Verdict::kPass);
  EXPECT_EQ(p.run(udp4(3000, 54)), Verdict::kPass);
  p.check_counters();
}

TEST(PoliceTest, PeakRateBucketHoldsOneMtu) {
  TC2XDP_REQUIRE_ROOT();
  // A generous rate, a peak of 100 bytes/s over an mtu of 300: three 86-byte packets (258 of
  // 300), then the fourth exceeds.
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol ip flower action police rate 10mbit burst "
      "100k mtu 300 peakrate 800bit conform-exceed drop/ok\n");
  if (!p.ok()) return;
  EXPECT_EQ(p.run_many(udp4(100), 8), 3u);
  EXPECT_EQ(p.run(udp4(301)), Verdict::kDrop);  // over the mtu
  p.check_counters();
}

TEST(PoliceTest, PacketBucketStartsEmptyThenHoldsItsBurst) {
  TC2XDP_REQUIRE_ROOT();
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol ip flower action police pkts_rate 1 "
      "pkts_burst 4 conform-exceed drop/ok\n");
  if (!p.ok()) return;
  // tcf_police_init leaves tcfp_pkttoks at zero: a new packet policer refills from nothing.
  EXPECT_EQ(p.run_many(udp4(80), 3), 0u);
  p.check_counters();
  // As if created 100 s ago: the bucket is full (4 s of tokens, a packet costs 1 s).
  p.age(100 * kSecond);
  EXPECT_EQ(p.run_many(udp4(80), 7), 4u);
  const auto c = p.police_counters(0);
  EXPECT_EQ(c.packets, 7u);
  EXPECT_EQ(c.overlimits, 3u);
  p.check_counters();
}

TEST(PoliceTest, EachFilterHasItsOwnBucketUnlessTheyShareAnIndex) {
  TC2XDP_REQUIRE_ROOT();
  // Rules 1 and 2 run the same action code with two buckets; rules 3 and 4 share index 9.
  const char* police = "action police rate 800bit burst 300 conform-exceed drop/ok";
  Policed p(std::string("filter add dev eth0 ingress pref 1 protocol ip flower ip_proto udp "
                        "dst_port 1 ") +
            police +
            "\nfilter add dev eth0 ingress pref 2 protocol ip flower ip_proto udp "
            "dst_port 2 " +
            police +
            "\nfilter add dev eth0 ingress pref 3 protocol ip flower ip_proto udp "
            "dst_port 3 " +
            police +
            " index 9\nfilter add dev eth0 ingress pref 4 protocol ip flower ip_proto "
            "udp dst_port 4 " +
            police + " index 9\n");
  if (!p.ok()) return;
  ASSERT_EQ(p.plan().policers.size(), 3u);
  EXPECT_EQ(p.plan().rules[0].terminal.actions, p.plan().rules[1].terminal.actions);
  // 300 bytes: three 86-byte packets per bucket (42 bytes, 0.42 s, short of a fourth).
  size_t own = 0, shared = 0;
  for (int i = 0; i < 6; ++i) {
    own += p.run(udp4(100, 1)) == Verdict::kPass;
    own += p.run(udp4(100, 2)) == Verdict::kPass;
    shared += p.run(udp4(100, 3)) == Verdict::kPass;
    shared += p.run(udp4(100, 4)) == Verdict::kPass;
  }
  EXPECT_EQ(own, 6u);
  EXPECT_EQ(shared, 3u);
  p.check_counters();
}

TEST(PoliceTest, PipeRunsTheActionsAfterItOnConformingFrames) {
  TC2XDP_REQUIRE_ROOT();
  // Conform: tag pushed, redirected; exceed: dropped. And a police after a rewrite passes the
  // rewritten frame on ok (its length is that of the frame as the rewrite left it).
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol ip flower ip_proto udp "
      "action police rate 800bit burst 200 conform-exceed drop/pipe "
      "action vlan push id 5 pipe action mirred egress redirect dev lo\n"
      "filter add dev eth0 ingress pref 2 protocol ip flower ip_proto tcp "
      "action vlan push id 6 pipe action police rate 800bit burst 200 conform-exceed drop/ok\n");
  if (!p.ok()) return;
  EXPECT_EQ(p.run_many(udp4(100), 4), 2u);
  auto tcp = FrameBuilder().eth().ipv4().tcp().payload(46).build();  // 100 bytes
  EXPECT_EQ(p.run_many(tcp, 4), 2u);
  p.check_counters();
}

TEST(PoliceTest, ConformingFramesAreCopiedExceedingOnesDropped) {
  TC2XDP_REQUIRE_ROOT();
  // pipe into mirred copies: a fan-out list; the copies leave only when the police pipes.
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol ip flower action police rate 800bit burst 200 "
      "conform-exceed drop/pipe action mirred egress mirror dev lo pipe action drop\n");
  if (!p.ok()) return;
  EXPECT_EQ(p.plan().rules[0].terminal.kind, plan::Terminal::Kind::kFanout);
  size_t sent = 0;
  for (int i = 0; i < 4; ++i) sent += p.run(udp4(100)) == Verdict::kRedirect;
  EXPECT_EQ(sent, 2u);
  p.check_counters();
}

TEST(PoliceTest, ConformDropWithoutARateCountsNoDrop) {
  TC2XDP_REQUIRE_ROOT();
  // tcf_police_act returns an mtu-only policer's conform verdict before counting drops.
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol all flower action police mtu 1500 "
      "conform-exceed ok/drop\n");
  if (!p.ok()) return;
  EXPECT_EQ(p.run(udp4(100)), Verdict::kDrop);
  EXPECT_EQ(p.run(udp4(1600)), Verdict::kPass);
  const auto c = p.police_counters(0);
  EXPECT_EQ(c.drops, 0u);
  EXPECT_EQ(c.overlimits, 1u);
  p.check_counters();
}

// Two CPUs at once through one rule: one bucket for both. The burst holds 7 frames and a half at
// 100 bytes/s; whatever the interleaving, exactly 7 of the 2 x 40 frames conform (per-CPU buckets
// would pass 14). The frames run on both CPUs concurrently, and the bucket's lock orders them.
TEST(PoliceTest, OneBucketForEveryCpu) {
  TC2XDP_REQUIRE_ROOT();
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs two CPUs";
  Policed p(
      "filter add dev eth0 ingress pref 1 protocol ip flower action police rate 800bit burst 645 "
      "conform-exceed drop/ok\n");
  if (!p.ok()) return;
  const auto frame = udp4(100);
  std::atomic<int> ready{0};
  std::atomic<size_t> passed{0};
  std::vector<std::thread> cpus;
  for (int cpu = 0; cpu < 2; ++cpu) {
    cpus.emplace_back([&, cpu] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      ++ready;
      while (ready < 2) {
      }
      for (int i = 0; i < 40; ++i) {
        auto run = runtime::test_run(p.program_fd(), frame);
        passed += run && run->retval == static_cast<uint32_t>(Verdict::kPass);
      }
    });
  }
  for (auto& t : cpus) t.join();
  EXPECT_EQ(passed, 7u);
  const auto c = p.police_counters(0);
  EXPECT_EQ(c.packets, 80u);
  EXPECT_EQ(c.overlimits, 73u);
  EXPECT_EQ(c.drops, 73u);
}

}  // namespace
}  // namespace tc2xdp::testing
