// The differential harness: random rule sets x random and targeted frames; the loaded program must
// agree with the reference interpreter on verdict, deciding rule, redirect target, output bytes,
// and per-rule counters. Seeded and reproducible; a failure prints a rules file and the frame.
//
// CI runs 200 rule sets x 500 frames. Soak: TC2XDP_DIFF_SETS=N TC2XDP_DIFF_FRAMES=M (and
// TC2XDP_DIFF_FIRST_SEED=S to move the window).
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <map>
#include <optional>

#include "common/packet_gen.h"
#include "common/police_check.h"
#include "common/reproducer.h"
#include "common/rule_gen.h"
#include "flow_frames.h"
#include "gen_devices_test_base.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/police_state.h"
#include "tc2xdp/runtime/program_check.h"

namespace tc2xdp {
namespace {

namespace gen = testing::gen;

constexpr int64_t kSecond = 1000000000;

size_t env_or(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

class DifferentialTest : public testing::GenDevicesTest {};

struct SetResult {
  size_t frames = 0, disagreements = 0, punted_rules = 0;
  size_t rewritten = 0, marked = 0;  // frames handed on changed by actions, or with a mark
  size_t policed = 0;                // frames whose deciding rule ran a police action
  size_t fanned_out = 0;             // frames whose mirred copies left in one broadcast
  size_t trees = 0;                  // cut trees in the plan's tables
  bool flow_cached = false;          // the program has its flow cache
};

// One generated rule set: compile, load, run every frame through both sides, then the counters.
SetResult check_rule_set(uint64_t seed, size_t frame_count) {
  SetResult result;
  const gen::Profile profile = seed % 5 == 0   ? gen::Profile::kMedium
                               : seed % 5 == 1 ? gen::Profile::kClassbench
                                               : gen::Profile::kSmall;
  const gen::GenRuleSet set = gen::generate_rules(seed, {.profile = profile});
  ir::RuleSet rules;
  Diagnostics diags;
  if (!frontend::tc::load_rules(set.text, "rules.tc", rules, diags)) {
    ADD_FAILURE() << "seed " << seed << ": generated rules do not load\n" << diags.to_string();
    return result;
  }
  // Odd seeds put every eligible run of prefs in tables, so small sets exercise them too: seeds
  // 1 mod 4 with tuples only, 3 mod 4 with cut trees down to one-rule groups.
  plan::PlanOptions plan_options{gen::resolve_gen_device};
  // Every device but eth2 is a veth with its peer here; ingress to eth2 goes through tc.
  plan_options.resolve_ingress = [](const std::string& dev) {
    return dev == "eth2" ? std::nullopt : gen::resolve_gen_device(dev);
  };
  if (seed % 4 == 1) plan_options.lookup = plan::LookupPolicy::kAlwaysTable;
  if (seed % 4 == 3) plan_options.lookup = plan::LookupPolicy::kAlwaysTree;
  // Half of those behind a flow cache of two sets per CPU, so answers are evicted and tables
  // share sets; the frames then go through twice, the second time mostly from the cache.
  if (seed % 8 == 1 || seed % 8 == 3) {
    plan_options.flow_cache_entries = 8;
    plan_options.cpus = static_cast<uint32_t>(runtime::possible_cpus().value_or(1));
  }
  const plan::Plan plan = plan::make_plan(rules, plan_options, diags);
  result.punted_rules = plan.punted_count();
  for (const plan::Table& table : plan.tables) result.trees += table.trees.size();
  auto program = codegen::compile(rules, plan);
  if (!program) {
    ADD_FAILURE() << "seed " << seed << ": " << program.error().to_string() << "\n"
                  << program.error().detail.substr(0, 2000) << "\n"
                  << set.text;
    result.disagreements = 1;  // a set that does not compile fails
    return result;
  }
  auto loaded = runtime::LoadedProgram::load(plan, *program, gen::resolve_gen_device);
  if (!loaded) {
    ADD_FAILURE() << "seed " << seed << ": " << loaded.error().to_string() << "\n"
                  << loaded.error().detail.substr(0, 3000) << "\n"
                  << set.text;
    result.disagreements = 1;  // nor one the verifier rejects
    return result;
  }
  result.flow_cached = loaded->map_fd(codegen::kFlowCacheMap).ok();
  // Police buckets carry state from frame to frame, the same on both sides (rule_gen.h's police
  // decide alike however the two clocks drift within a set).
  reference::PoliceState police;
  auto options = runtime::reference_options(plan, rules, gen::resolve_gen_device);
  options.police = &police;
  if (auto aged = testing::age_policers(*loaded, police, 1000 * kSecond); !aged) {
    ADD_FAILURE() << aged.error().to_string();
    return result;
  }
  std::map<size_t, plan::RuleCounters> expected_counters;
  const auto frames = gen::generate_frames(seed, set, frame_count);
  const int passes = plan.flow_cache.enabled() ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass)
    for (const auto& frame : frames) {
      if (frame.bytes.size() < 14) continue;  // the kernel refuses to test-run runts
      ++result.frames;
      auto got = loaded->run(frame.bytes, frame.ifindex);
      if (!got) {
        ADD_FAILURE() << "seed " << seed << ": " << got.error().to_string();
        return result;
      }
      const auto expected = reference::classify(rules, frame.bytes, frame.ifindex, options);
      const bool handed_on = expected.verdict == reference::Verdict::kPass ||
                             expected.verdict == reference::Verdict::kRedirect;
      result.rewritten += handed_on && expected.output != frame.bytes;
      result.marked += handed_on && expected.mark.has_value();
      result.policed += got->rule_index && runtime::policer_of_rule(plan, *got->rule_index);
      result.fanned_out += !expected.punted && !expected.copies.empty();
      for (const auto& hit : expected.hits) {
        expected_counters[hit.index].packets += 1;
        expected_counters[hit.index].bytes += frame.bytes.size();
      }
      const std::string diff = runtime::compare_outcomes(*got, expected, rules);
      if (!diff.empty() && ++result.disagreements <= 3)
        ADD_FAILURE() << "seed " << seed << ": " << diff << "\n"
                      << expected.explanation << "\n"
                      << gen::reproducer(set, frame)
                      << (plan.policers.empty()
                              ? ""
                              : "(police buckets as the frames before left them)\n");
    }
  auto counters = loaded->counters();
  if (!counters) {
    ADD_FAILURE() << counters.error().to_string();
    return result;
  }
  if (const std::string diff = testing::police_counter_diff(plan, rules, *loaded, police);
      !diff.empty()) {
    ++result.disagreements;
    ADD_FAILURE() << "seed " << seed << ": " << diff << "\n" << set.text;
  }
  for (size_t i = 0; i < counters->size(); ++i) {
    const auto want = expected_counters[i];
    const auto& have = (*counters)[i];
    if (have.packets != want.packets || have.bytes != want.bytes) {
      ++result.disagreements;
      ADD_FAILURE() << "seed " << seed << ": counters of rule " << i + 1 << " ("
                    << rules.rules()[i].origin.line << ": " << set.rules.size()
                    << " rules): program " << have.packets << " pkt / " << have.bytes
                    << " B, reference " << want.packets << " pkt / " << want.bytes << " B\n"
                    << set.text;
      break;
    }
  }
  return result;
}

TEST_F(DifferentialTest, GeneratedRuleSetsAgreeWithTheReference) {
  const size_t sets = env_or("TC2XDP_DIFF_SETS", 200);
  const size_t frames = env_or("TC2XDP_DIFF_FRAMES", 500);
  const size_t first = env_or("TC2XDP_DIFF_FIRST_SEED", 1);
  size_t total_frames = 0, failing_sets = 0, punted = 0, rewritten = 0, marked = 0, fanned_out = 0,
         policed = 0, trees = 0, sets_with_trees = 0, cached_sets = 0;
  for (uint64_t seed = first; seed < first + sets; ++seed) {
    const SetResult r = check_rule_set(seed, frames);
    total_frames += r.frames;
    punted += r.punted_rules;
    rewritten += r.rewritten;
    marked += r.marked;
    policed += r.policed;
    fanned_out += r.fanned_out;
    trees += r.trees;
    sets_with_trees += r.trees != 0;
    cached_sets += r.flow_cached;
    failing_sets += r.disagreements != 0;
    if (failing_sets >= 5) break;  // enough to debug; the rest would only repeat
  }
  std::printf(
      "differential: %zu rule sets, %zu frames, %zu punted rules, %zu failing sets "
      "(%zu frames rewritten by actions, %zu marked, %zu sent with mirred copies, %zu policed; "
      "%zu cut trees in %zu sets; %zu sets behind a flow cache)\n",
      sets, total_frames, punted, failing_sets, rewritten, marked, fanned_out, policed, trees,
      sets_with_trees, cached_sets);
  EXPECT_EQ(failing_sets, 0u);
  if (sets >= 20) {  // the actions are exercised, not only compiled
    EXPECT_GT(rewritten, total_frames / 100);
    EXPECT_GT(marked, 0u);
    EXPECT_GT(policed, total_frames / 100);
    EXPECT_GT(fanned_out, 0u);
    EXPECT_GT(sets_with_trees, sets / 20) << "seeds 3 mod 4 force cut trees";
    EXPECT_GT(cached_sets, sets / 5) << "seeds 1 and 3 mod 8 have a flow cache";
  }
  EXPECT_GT(total_frames, sets * frames / 2);
}

// Hand-picked frames at a table's guards. The table's rules are all `protocol ip`, so it checks
// protocol and n_proto once as guards; frames failing either (IPv6, ARP, a tagged or an MPLS-in-IP
// IPv4 frame) must skip it for the later rules, though their other keys (ports, dst_mac) match
// table rules, which a table probed without its guards would hit. Under tuples and under cut
// trees; each frame against the reference, then the counters.
TEST_F(DifferentialTest, FramesFailingATablesGuardsSkipToTheLaterRules) {
  using testing::FlowFrame, testing::ip4;
  constexpr size_t kTableRules = 25;
  const auto rule = [](const std::string& rest) {
    return "filter add dev eth0 ingress " + rest + "\n";
  };
  std::string text;
  for (size_t i = 0; i + 1 < kTableRules; ++i) {
    // tcp and udp, with and without addresses: only protocol and n_proto are alike.
    text += rule("pref " + std::to_string(i + 1) + " protocol ip flower " +
                 (i % 2 ? "dst_ip 10.0." + std::to_string(i) + ".0/24 ip_proto udp"
                        : std::string("ip_proto tcp")) +
                 " dst_port " + std::to_string(1000 + i) + " action drop");
  }
  text += rule("pref 25 protocol ip flower dst_mac 02:00:00:00:00:09 action drop");
  // A continue rule stays inline and ends the table's run; keyed on IPv6 ports, it has the parser
  // walk IPv6 to its ports too.
  text += rule("pref 30 protocol ipv6 flower ip_proto tcp dst_port 7 action continue");
  // The catch-all shares its pref with a continue rule, so it stays inline as well.
  text += rule("pref 40 protocol all flower src_mac 02:00:00:00:00:77 action continue");
  text += rule("pref 40 protocol all flower action pass");
  const size_t catch_all = kTableRules + 2;
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(text, "guards.tc", rules, diags)) << diags.to_string();
  ASSERT_EQ(rules.size(), catch_all + 1);

  const std::array<uint8_t, 16> v6a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::array<uint8_t, 16> v6b{0x20, 0x01, 0x0d, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const auto to_mac9 = [] { return FlowFrame().raw({2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 1}); };
  const auto tcp4 = [](FlowFrame f, uint16_t dport) {
    return f.type(0x0800).ipv4(ip4(1, 2, 3, 4), ip4(10, 0, 1, 5), 6).tcp(99, dport).bytes();
  };
  const auto udp4 = [](uint32_t dst, uint16_t dport) {
    return FlowFrame().eth().type(0x0800).ipv4(ip4(1, 2, 3, 4), dst, 17).udp(99, dport).bytes();
  };
  const auto tcp6 = [&](FlowFrame f, uint16_t dport) {
    return f.type(0x86dd).ipv6(v6a, v6b, 6).tcp(99, dport).bytes();
  };
  struct Case {
    const char* what;
    std::vector<uint8_t> frame;
    size_t rule;  // the deciding rule's index
  };
  const std::vector<Case> cases = {
      // IPv4 frames pass the guards and hit table rules, or miss them for the catch-all.
      {"ipv4 tcp 1000", tcp4(FlowFrame().eth(), 1000), 0},
      {"ipv4 udp 10.0.1.5:1001", udp4(ip4(10, 0, 1, 5), 1001), 1},
      {"ipv4 to mac 9", tcp4(to_mac9(), 5), kTableRules - 1},
      {"ipv4 udp 10.0.2.5:1001", udp4(ip4(10, 0, 2, 5), 1001), catch_all},
      // Failing a guard: past the table and both continue rules to the catch-all.
      {"ipv6 tcp 1000", tcp6(FlowFrame().eth(), 1000), catch_all},
      {"ipv6 to mac 9", tcp6(to_mac9(), 5), catch_all},
      {"arp to mac 9", to_mac9().type(0x0806).arp(1, ip4(10, 0, 0, 2), ip4(10, 0, 0, 1)).bytes(),
       catch_all},
      // protocol is the TPID, n_proto ip: the protocol guard alone fails.
      {"tagged ipv4 tcp 1000", tcp4(FlowFrame().eth().tag(0x8100, 5), 1000), catch_all},
      // protocol ip, n_proto MPLS: the n_proto guard alone fails.
      {"mpls in ipv4 to mac 9",
       to_mac9().type(0x0800).ipv4(1, ip4(10, 0, 1, 5), 137).mpls(1, 0, true, 1).bytes(),
       catch_all},
  };

  for (auto lookup : {plan::LookupPolicy::kAlwaysTable, plan::LookupPolicy::kAlwaysTree}) {
    SCOPED_TRACE(lookup == plan::LookupPolicy::kAlwaysTable ? "tuples" : "cut trees");
    plan::PlanOptions options;
    options.lookup = lookup;
    const plan::Plan plan = plan::make_plan(rules, options, diags);
    ASSERT_EQ(plan.tables.size(), 1u) << plan::describe(plan, rules);
    const plan::Table& table = plan.tables[0];
    ASSERT_EQ(table.records.size(), kTableRules);
    ASSERT_EQ(table.guards.size(), 2u) << plan::describe(plan, rules);
    EXPECT_EQ(table.guards[0].component.name(), "protocol");
    EXPECT_EQ(table.guards[1].component.name(), "n_proto");
    EXPECT_EQ(table.trees.empty(), lookup == plan::LookupPolicy::kAlwaysTable);
    const auto& units = plan.chains[0].units;
    ASSERT_EQ(units.size(), 4u);
    EXPECT_EQ(units[0].kind, plan::ChainUnit::Kind::kTable);
    EXPECT_EQ(units[3].kind, plan::ChainUnit::Kind::kInlineRule);
    EXPECT_EQ(units[3].index, catch_all);

    auto program = codegen::compile(rules, plan);
    ASSERT_TRUE(program.ok()) << program.error().to_string();
    auto loaded = runtime::LoadedProgram::load(plan, *program, {});
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    const auto reference_options = runtime::reference_options(plan, rules, {});
    std::vector<plan::RuleCounters> expected(rules.size());
    for (const Case& c : cases) {
      auto got = loaded->run(c.frame);
      ASSERT_TRUE(got.ok()) << got.error().to_string();
      const auto want = reference::classify(rules, c.frame, 1, reference_options);
      for (const auto& hit : want.hits) {
        expected[hit.index].packets += 1;
        expected[hit.index].bytes += c.frame.size();
      }
      EXPECT_EQ(runtime::compare_outcomes(*got, want, rules), "") << c.what << "\n"
                                                                  << want.explanation;
      EXPECT_EQ(got->rule_index, std::optional<size_t>(c.rule)) << c.what;
    }
    auto counters = loaded->counters();
    ASSERT_TRUE(counters.ok()) << counters.error().to_string();
    for (size_t i = 0; i < rules.size(); ++i) {
      EXPECT_EQ((*counters)[i].packets, expected[i].packets) << "rule " << i + 1;
      EXPECT_EQ((*counters)[i].bytes, expected[i].bytes) << "rule " << i + 1;
    }
    EXPECT_EQ((*counters)[catch_all].packets, 6u);
  }
}

}  // namespace
}  // namespace tc2xdp
