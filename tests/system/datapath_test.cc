// runtime::Datapath on real veths in throwaway namespaces: counters equal what was sent, replace
// keeps counters and swaps atomically, a rejected program leaves the old one, two interfaces.
#include "tc2xdp/runtime/datapath.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "codegen/bpf_module.h"
#include "common/frame_builder.h"
#include "netns.h"
#include "raw_sender.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/flow_cache.h"
#include "tc2xdp/runtime/mapped_value.h"
#include "tc2xdp/runtime/trivial_program.h"
#include "tc2xdp/runtime/xdp_link.h"

namespace tc2xdp::runtime {
namespace {

using tc2xdp::testing::eventually;
using tc2xdp::testing::FrameBuilder;
using tc2xdp::testing::NetnsScope;
using tc2xdp::testing::RawSender;
using tc2xdp::testing::TestTopology;

ir::RuleSet rules_from(const std::string& text) {
  ir::RuleSet rules;
  Diagnostics diags;
  EXPECT_TRUE(frontend::tc::load_rules(text, "test.tc", rules, diags)) << diags.to_string();
  return rules;
}

std::vector<uint8_t> udp_to(uint16_t dport) {
  return FrameBuilder().eth().ipv4().udp({.dport = dport}).pad_to(60).build();
}

std::vector<uint64_t> packets(const std::string& ns, const std::string& dev) {
  NetnsScope in(ns);
  auto dp = Datapath::open(dev);
  if (!dp) return {};
  auto counters = dp->counters();
  if (!counters) return {};
  std::vector<uint64_t> out;
  for (const auto& c : *counters) out.push_back(c.packets);
  return out;
}

class DatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("dpa0", "dpb0");
    Datapath::detach("dpb0");  // leftovers of an interrupted run
    Datapath::detach("dpb1");
  }
  void TearDown() override {
    Datapath::detach("dpb0");
    Datapath::detach("dpb1");
  }
  Result<ApplyReport> apply(const std::string& dev, const ir::RuleSet& rules,
                            ApplyOptions options = {}) {
    NetnsScope in_b(topo_.b());
    Diagnostics diags;
    return Datapath::apply(dev, rules, options, diags);
  }
  void send(const std::vector<uint8_t>& frame, int times, const std::string& dev = "dpa0") {
    NetnsScope in_a(topo_.a());
    RawSender(dev).send(frame, times);
  }
  TestTopology topo_{"t2xdp"};
};

const char* kTwoRules =
    "filter add dev dpb0 ingress pref 10 protocol ip flower ip_proto udp dst_port 1000 action "
    "drop\n"
    "filter add dev dpb0 ingress pref 20 protocol ip flower ip_proto udp dst_port 2000 action "
    "pass\n";

TEST_F(DatapathTest, CountersEqualThePacketsSent) {
  auto report = apply("dpb0", rules_from(kTwoRules));
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_TRUE(report->attached_now);
  send(udp_to(1000), 7);
  send(udp_to(2000), 5);
  send(udp_to(3000), 3);  // no rule
  EXPECT_TRUE(eventually([&] {
    return packets(topo_.b(), "dpb0") == std::vector<uint64_t>{7, 5};
  })) << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

TEST_F(DatapathTest, ReplaceSwapsAtomicallyAndKeepsCounters) {
  ASSERT_TRUE(apply("dpb0", rules_from(kTwoRules)).ok());
  send(udp_to(1000), 4);
  ASSERT_TRUE(eventually([&] {
    return packets(topo_.b(), "dpb0") == std::vector<uint64_t>{4, 0};
  }));
  const uint32_t first_program = [&] {
    NetnsScope in_b(topo_.b());
    return Datapath::open("dpb0")->program_id();
  }();
  std::string more = std::string(kTwoRules) +
                     "filter add dev dpb0 ingress pref 15 protocol ip flower ip_proto udp "
                     "dst_port 3000 action drop\n";
  auto report = apply("dpb0", rules_from(more));
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_FALSE(report->attached_now);
  EXPECT_TRUE(report->counters_kept);
  {
    NetnsScope in_b(topo_.b());
    EXPECT_NE(Datapath::open("dpb0")->program_id(), first_program);
  }
  send(udp_to(1000), 1);
  send(udp_to(3000), 2);
  // Order is pref 10, 15, 20: the old counts moved with their rules.
  EXPECT_TRUE(eventually([&] {
    return packets(topo_.b(), "dpb0") == std::vector<uint64_t>{5, 2, 0};
  })) << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

// Enough rules of one mask for the planner to choose a hash table.
std::string table_rules(int n, int skip = -1) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    if (i == skip) continue;
    text += "filter add dev dpb0 ingress pref " + std::to_string(i + 1) +
            " protocol ip flower ip_proto udp dst_port " + std::to_string(10000 + i) + " action " +
            (i % 2 ? "pass" : "drop") + "\n";
  }
  return text;
}

// Rules of the live shape, but more than the counters map holds: not a change of data (the map
// cannot take the new slots) but a recompile into a grown map, the counts carried.
TEST_F(DatapathTest, RulesOutgrowingTheCountersMapInOneChangeGrowItAndKeepCounts) {
  // 2,000 rules: 2,560 slots, and 2,564 buckets (a quarter more, and 64), so 2,562 rules fit
  // the buckets and not the slots.
  ASSERT_TRUE(apply("dpb0", rules_from(table_rules(2000))).ok());
  send(udp_to(10000), 3);
  ASSERT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[0] == 3; }));
  auto grown = apply("dpb0", rules_from(table_rules(2562)));
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  EXPECT_FALSE(grown->data_only);
  EXPECT_TRUE(grown->counters_carried);
  send(udp_to(12561), 2);
  EXPECT_TRUE(eventually([&] {
    auto p = packets(topo_.b(), "dpb0");
    return p.size() == 2562 && p[0] == 3 && p[2561] == 2;
  })) << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

TEST_F(DatapathTest, AddingAndDeletingTableRulesAreMapWritesOnTheLiveProgram) {
  auto first = apply("dpb0", rules_from(table_rules(300)));
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  const uint32_t program = [&] {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("dpb0");
    EXPECT_EQ(dp->plan().tables.size(), 1u);
    return dp->program_id();
  }();
  send(udp_to(10004), 3);
  ASSERT_TRUE(eventually([&] {
    auto p = packets(topo_.b(), "dpb0");
    return p.size() == 300 && p[4] == 3;
  }));

  // A new rule under the table's tuple: written into the maps, no compile, no swap.
  auto added = apply("dpb0", rules_from(table_rules(300) +
                                        "filter add dev dpb0 ingress pref 400 protocol ip flower "
                                        "ip_proto udp dst_port 999 action drop\n"));
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(added->data_only);
  EXPECT_EQ(added->map_writes, 2u);  // its record, its bucket
  {
    NetnsScope in_b(topo_.b());
    EXPECT_EQ(Datapath::open("dpb0")->program_id(), program);
  }
  send(udp_to(999), 4);
  send(udp_to(10004), 1);
  EXPECT_TRUE(eventually([&] {
    auto p = packets(topo_.b(), "dpb0");
    return p.size() == 301 && p[300] == 4 && p[4] == 4;
  })) << ::testing::PrintToString(packets(topo_.b(), "dpb0"));

  // Deleting one: its bucket goes; its packets fall through to no rule.
  auto deleted = apply("dpb0", rules_from(table_rules(300, /*skip=*/4) +
                                          "filter add dev dpb0 ingress pref 400 protocol ip "
                                          "flower ip_proto udp dst_port 999 action drop\n"));
  ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
  EXPECT_TRUE(deleted->data_only);
  send(udp_to(10004), 5);
  send(udp_to(10006), 2);
  EXPECT_TRUE(eventually([&] {
    auto p = packets(topo_.b(), "dpb0");  // rule 10006 is now at position 5
    return p.size() == 300 && p[5] == 2 && p[299] == 4;
  })) << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
  {
    NetnsScope in_b(topo_.b());
    EXPECT_EQ(Datapath::open("dpb0")->program_id(), program);
  }

  // A rule of a new mask changes the shape: recompiled and swapped.
  auto reshaped = apply(
      "dpb0", rules_from(table_rules(300) + "filter add dev dpb0 ingress pref 401 protocol ip "
                                            "flower ip_proto tcp src_port 7 action drop\n"));
  ASSERT_TRUE(reshaped.ok()) << reshaped.error().to_string();
  EXPECT_FALSE(reshaped->data_only);
  {
    NetnsScope in_b(topo_.b());
    EXPECT_NE(Datapath::open("dpb0")->program_id(), program);
  }
}

// The flow cache tests' rules: prefs 10, 20, ..., 3000, room for a rule in between; the packets
// to port 10004 first find pref 50 (rule 5), then kTakeOver's pref 45 (rule 5, pref 50 rule 6).
std::string spaced_table_rules() {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "filter add dev dpb0 ingress pref " + std::to_string(10 * (i + 1)) +
            " protocol ip flower ip_proto udp dst_port " + std::to_string(10000 + i) +
            " action pass\n";
  return text;
}
const char* kTakeOver =
    "filter add dev dpb0 ingress pref 45 protocol ip flower ip_proto udp dst_port 10004 action "
    "pass\n";
// Pref 50 kept its 3 packets from before the change, pref 45 took the 2 after it.
bool took_over(const std::vector<uint64_t>& p) {
  return p.size() == 301 && p[4] == 2 && p[5] == 3;
}

// The flow cache answers a flow's later packets from what its first one found: a change written
// into the live tables must retire those answers, or the flow keeps its old rule.
TEST_F(DatapathTest, AChangeInPlaceRetiresTheFlowCachesAnswers) {
  const std::string spaced = spaced_table_rules();
  ASSERT_TRUE(apply("dpb0", rules_from(spaced)).ok());
  {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("dpb0");
    ASSERT_TRUE(dp.ok());
    ASSERT_TRUE(dp->plan().flow_cache.enabled());
    ASSERT_EQ(dp->plan().tables.size(), 1u);
  }
  send(udp_to(10004), 3);  // pref 50 answers, and its answer is cached
  ASSERT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[4] == 3; }));

  // Pref 45 takes the flow over: a record and a bucket written, no recompile.
  auto added = apply("dpb0", rules_from(spaced + kTakeOver));
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  ASSERT_TRUE(added->data_only);
  send(udp_to(10004), 2);
  EXPECT_TRUE(eventually([&] { return took_over(packets(topo_.b(), "dpb0")); }))
      << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

// A flow's first packet walks the tables and fills a way; its next ones are hits, not counted.
TEST_F(DatapathTest, TheFlowCacheCountsItsWalks) {
  ASSERT_TRUE(apply("dpb0", rules_from(spaced_table_rules())).ok());
  send(udp_to(10004), 3);
  ASSERT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[4] == 3; }));
  NetnsScope in_b(topo_.b());
  auto dp = Datapath::open("dpb0");
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();
  auto counts = dp->flow_cache_counts();
  ASSERT_TRUE(counts.ok()) << counts.error().to_string();
  ASSERT_TRUE(counts->has_value());
  EXPECT_EQ((*counts)->walks, 1u);
}

// The stamps are 7 bits: a way a change retired would read as current again when its stamp comes
// round, 127 changes later, unless the runtime empties it first.
TEST_F(DatapathTest, AWayRetiredAStampCycleAgoDoesNotAnswer) {
  const std::string spaced = spaced_table_rules();
  ASSERT_TRUE(apply("dpb0", rules_from(spaced)).ok());
  send(udp_to(10004), 3);  // pref 50 answers, cached under stamp 1
  ASSERT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[4] == 3; }));
  auto added = apply("dpb0", rules_from(spaced + kTakeOver));  // stamp 2
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  ASSERT_TRUE(added->data_only);
  {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("dpb0");
    ASSERT_TRUE(dp.ok()) << dp.error().to_string();
    ASSERT_TRUE(dp->plan().flow_cache.enabled());
    UniqueFd flows(bpf_obj_get((DatapathPaths{}.pin_root + "/dpb0/flows").c_str()));
    ASSERT_GE(flows.get(), 0);
    // Changes that touch no flow, until stamp 1 is current again.
    for (uint32_t bump = 2; bump < plan::kFlowCacheStamps + 1; ++bump)
      ASSERT_TRUE(retire_flow_answers(flows.get()).ok());
    auto header = MappedValue::map(flows.get(), 0, 8);
    ASSERT_TRUE(header.ok());
    ASSERT_EQ(*header->load_word(0), 0u) << "stamp 1";
  }
  send(udp_to(10004), 2);
  EXPECT_TRUE(eventually([&] { return took_over(packets(topo_.b(), "dpb0")); }))
      << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

TEST_F(DatapathTest, AProgramOfAnotherLayoutIsRecompiledNotEdited) {
  auto first = apply("dpb0", rules_from(table_rules(50)));
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  // As an older build leaves it: its maps' layout is not this build's.
  const std::string layout = DatapathPaths{}.state_root + "/dpb0/layout";
  {
    std::ofstream out(layout, std::ios::trunc);
    out << "an older layout\n";
  }
  const std::string one_more =
      "filter add dev dpb0 ingress pref 400 protocol ip flower "
      "ip_proto udp dst_port 999 action drop\n";
  auto added = apply("dpb0", rules_from(table_rules(50) + one_more));
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_FALSE(added->data_only) << "the maps of another layout are not written into";
  send(udp_to(999), 2);
  EXPECT_TRUE(eventually([&] {
    auto p = packets(topo_.b(), "dpb0");
    return p.size() == 51 && p[50] == 2;
  })) << ::testing::PrintToString(packets(topo_.b(), "dpb0"));

  // Recompiled by this build, the program is edited in place again.
  auto deleted = apply("dpb0", rules_from(table_rules(50)));
  ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
  EXPECT_TRUE(deleted->data_only);
}

std::vector<ir::Command> delta_of(const std::string& text) {
  Diagnostics diags;
  auto cmds = frontend::tc::parse_batch(text, "delta.tc", diags);
  EXPECT_FALSE(diags.has_errors()) << diags.to_string();
  return cmds;
}

// The same through the delta API: a rule filed in place (write_table_edits) must retire the
// flow cache's answers too, or the cached flow keeps the rule it found first.
TEST_F(DatapathTest, ADeltaFiledInPlaceRetiresTheFlowCachesAnswers) {
  const std::string spaced = spaced_table_rules();
  ASSERT_TRUE(apply("dpb0", rules_from(spaced)).ok());
  NetnsScope in_b(topo_.b());
  auto dp = Datapath::open("dpb0");
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();
  ASSERT_TRUE(dp->plan().flow_cache.enabled());
  ASSERT_EQ(dp->plan().tables.size(), 1u);
  const uint32_t program = dp->program_id();
  send(udp_to(10004), 3);  // pref 50 answers, and its answer is cached
  ASSERT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[4] == 3; }));

  // Pref 45 takes the flow over, filed into the live tables: no recompile, no swap.
  Diagnostics diags;
  auto added = dp->apply(delta_of(kTakeOver), diags);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  ASSERT_TRUE(added->data_only);
  ASSERT_EQ(added->not_in_place, "");
  ASSERT_EQ(dp->program_id(), program);
  ASSERT_EQ(dp->rules().rules()[4].pref, 45u);
  ASSERT_EQ(dp->rules().rules()[5].pref, 50u);
  send(udp_to(10004), 2);
  EXPECT_TRUE(eventually([&] { return took_over(packets(topo_.b(), "dpb0")); }))
      << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

// The flow cache size given at attach stays with the interface: a later change that does not name
// one (another process, the daemon, a delta) plans the same cache, so it stays a change of data.
TEST_F(DatapathTest, TheFlowCacheSizeStaysWithTheInterface) {
  const std::string spaced = spaced_table_rules();
  ApplyOptions sized;
  sized.flow_cache_entries = 64;
  ASSERT_TRUE(apply("dpb0", rules_from(spaced), sized).ok());
  const auto sets = [&] {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("dpb0");
    EXPECT_TRUE(dp.ok());
    return dp.ok() ? dp->plan().flow_cache.sets : 0u;
  };
  EXPECT_EQ(sets(), 64 / plan::kFlowCacheWays);

  auto added = apply("dpb0", rules_from(spaced + kTakeOver));
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(added->data_only);
  EXPECT_EQ(sets(), 64 / plan::kFlowCacheWays);
  {
    NetnsScope in_b(topo_.b());
    auto dp = Datapath::open("dpb0");
    ASSERT_TRUE(dp.ok());
    Diagnostics diags;
    auto deleted = dp->apply(delta_of("filter del dev dpb0 ingress pref 45\n"), diags);
    ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
    EXPECT_TRUE(deleted->data_only);
    EXPECT_EQ(dp->plan().flow_cache.sets, 64 / plan::kFlowCacheWays);
  }

  ApplyOptions none;
  none.flow_cache_entries = 0;
  auto uncached = apply("dpb0", rules_from(spaced), none);
  ASSERT_TRUE(uncached.ok()) << uncached.error().to_string();
  EXPECT_FALSE(uncached->data_only) << "a cache removed is a new shape";
  EXPECT_EQ(sets(), 0u);
  send(udp_to(10004), 2);  // pref 50 again, through the walk
  EXPECT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[4] == 2; }))
      << ::testing::PrintToString(packets(topo_.b(), "dpb0"));
}

TEST_F(DatapathTest, DeltasOnADatapathInMemoryAreMapWritesOrSwapsAndErrorsChangeNothing) {
  ASSERT_TRUE(apply("dpb0", rules_from(table_rules(300))).ok());
  NetnsScope in_b(topo_.b());
  auto dp = Datapath::open("dpb0");
  ASSERT_TRUE(dp.ok()) << dp.error().to_string();
  const uint32_t program = dp->program_id();
  Diagnostics diags;
  auto added = dp->apply(delta_of("filter add dev dpb0 ingress pref 400 protocol ip flower "
                                  "ip_proto udp dst_port 999 action drop\n"),
                         diags);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(added->data_only);
  EXPECT_EQ(dp->rules().size(), 301u);
  EXPECT_EQ(dp->program_id(), program);

  // Deleting a filter that does not exist: an error, and the rules stay as they were.
  Diagnostics bad;
  auto missing =
      dp->apply(delta_of("filter del dev dpb0 ingress pref 999 handle 0x1 flower\n"), bad);
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(bad.has_errors());
  EXPECT_EQ(dp->rules().size(), 301u);

  // A new mask: recompiled and swapped, and the object follows the new program.
  auto reshaped = dp->apply(delta_of("filter add dev dpb0 ingress pref 401 protocol ip flower "
                                     "ip_proto tcp src_port 7 action drop\n"),
                            diags);
  ASSERT_TRUE(reshaped.ok()) << reshaped.error().to_string();
  EXPECT_FALSE(reshaped->data_only);
  EXPECT_NE(dp->program_id(), program);
  EXPECT_EQ(dp->rules().size(), 302u);
  {
    NetnsScope in_a(topo_.a());
    RawSender("dpa0").send(udp_to(999), 3);
  }
  EXPECT_TRUE(eventually([&] {
    auto c = dp->counters();
    return c && c->size() == 302 && (*c)[300].packets == 3;
  }));
}

// Changes filed in place are journaled: another process opening the interface sees them, with
// their counters; its own whole-set change then recompiles (it cannot know how the maps were
// filed), after which whole-set data-only changes work again.
TEST_F(DatapathTest, ChangesFiledInPlaceAreSeenByOtherProcessesAndHandedOverByARecompile) {
  ASSERT_TRUE(apply("dpb0", rules_from(table_rules(300))).ok());
  NetnsScope in_b(topo_.b());
  auto daemon = Datapath::open("dpb0");
  ASSERT_TRUE(daemon.ok()) << daemon.error().to_string();
  const uint32_t program = daemon->program_id();
  Diagnostics diags;
  auto added = daemon->apply(delta_of("filter add dev dpb0 ingress pref 400 protocol ip flower "
                                      "ip_proto udp dst_port 999 action drop\n"),
                             diags);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(added->data_only);
  EXPECT_EQ(added->not_in_place, "");
  EXPECT_EQ(added->map_writes, 3u);  // counters zeroed, record, bucket
  auto removed = daemon->apply(delta_of("filter del dev dpb0 ingress pref 7 flower\n"), diags);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_TRUE(removed->data_only);
  EXPECT_EQ(removed->not_in_place, "");
  EXPECT_EQ(daemon->program_id(), program);
  {
    NetnsScope in_a(topo_.a());
    RawSender("dpa0").send(udp_to(999), 3);
    RawSender("dpa0").send(udp_to(10006), 2);  // pref 7's port: no rule now
  }
  // Another process: the rules as changed, counters by rule.
  const auto counters_of = [](uint32_t pref) -> uint64_t {
    auto other = Datapath::open("dpb0");
    if (!other) return UINT64_MAX;
    auto c = other->counters();
    if (!c) return UINT64_MAX;
    for (size_t i = 0; i < c->size(); ++i)
      if (other->rules().rules()[i].pref == pref) return (*c)[i].packets;
    return UINT64_MAX - 1;  // no such rule
  };
  EXPECT_TRUE(eventually([&] { return counters_of(400) == 3; })) << counters_of(400);
  EXPECT_EQ(counters_of(7), UINT64_MAX - 1);

  // A new mask (udp, any port) within the table's key: a spare tuple, still no recompile.
  auto any_udp = daemon->apply(
      delta_of(
          "filter add dev dpb0 ingress pref 450 protocol ip flower ip_proto udp action drop\n"),
      diags);
  ASSERT_TRUE(any_udp.ok()) << any_udp.error().to_string();
  EXPECT_TRUE(any_udp->data_only);
  EXPECT_EQ(any_udp->not_in_place, "");
  EXPECT_EQ(daemon->program_id(), program);
  {
    NetnsScope in_a(topo_.a());
    RawSender("dpa0").send(udp_to(12345), 5);
  }
  EXPECT_TRUE(eventually([&] { return counters_of(450) == 5; })) << counters_of(450);
  ASSERT_TRUE(daemon->apply(delta_of("filter del dev dpb0 ingress pref 450 flower\n"), diags).ok());
  EXPECT_EQ(daemon->rules().size(), 300u);
  EXPECT_EQ(daemon->counters()->size(), 300u);

  // A whole-set change from another process: table data only, yet recompiled, counters kept.
  auto next = Datapath::open("dpb0")->rules();
  ASSERT_TRUE(next.apply(delta_of("filter add dev dpb0 ingress pref 401 protocol ip flower "
                                  "ip_proto udp dst_port 998 action drop\n")[0],
                         diags));
  auto swapped = Datapath::apply("dpb0", next, {}, diags);
  ASSERT_TRUE(swapped.ok()) << swapped.error().to_string();
  EXPECT_FALSE(swapped->data_only);
  EXPECT_EQ(counters_of(400), 3u);
  ASSERT_TRUE(next.apply(delta_of("filter add dev dpb0 ingress pref 402 protocol ip flower "
                                  "ip_proto udp dst_port 997 action drop\n")[0],
                         diags));
  auto data_only = Datapath::apply("dpb0", next, {}, diags);
  ASSERT_TRUE(data_only.ok()) << data_only.error().to_string();
  EXPECT_TRUE(data_only->data_only);
}

// A redirect to a device the program has never sent to: a spare devmap slot, filed in place.
TEST_F(DatapathTest, ARedirectToANewDeviceIsFiledInPlace) {
  topo_.add_veth("dpa1", "dpb1");  // dpb1 (b) is the new target; dpa1 (a) its receiving peer
  ASSERT_TRUE(apply("dpb0", rules_from(table_rules(300))).ok());
  std::optional<XdpLink> peer_pass;  // a veth peer receives redirected frames only under XDP
  {
    NetnsScope in_a(topo_.a());
    auto pass = load_trivial_xdp(2);
    ASSERT_TRUE(pass.ok());
    auto link = XdpLink::attach(if_nametoindex("dpa1"), pass->get(), XdpMode::kNative);
    ASSERT_TRUE(link.ok()) << link.error().to_string();
    peer_pass.emplace(std::move(*link));
  }
  const auto rx = [&] {
    return std::stol(tc2xdp::testing::sh("ip netns exec " + topo_.a() +
                                         " cat /sys/class/net/dpa1/statistics/rx_packets"));
  };
  NetnsScope in_b(topo_.b());
  auto dp = Datapath::open("dpb0");
  ASSERT_TRUE(dp.ok());
  const uint32_t program = dp->program_id();
  Diagnostics diags;
  auto added = dp->apply(delta_of("filter add dev dpb0 ingress pref 460 protocol ip flower "
                                  "ip_proto udp dst_port 777 action mirred egress redirect dev "
                                  "dpb1\n"),
                         diags);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(added->data_only);
  EXPECT_EQ(added->not_in_place, "");
  EXPECT_EQ(dp->program_id(), program);
  const long before = rx();
  {
    NetnsScope in_a(topo_.a());
    RawSender("dpa0").send(udp_to(777), 4);
  }
  EXPECT_TRUE(eventually([&] { return rx() == before + 4; })) << rx() - before;
  peer_pass.reset();
}

// Past the counters map's headroom the program gets a bigger map (the counters carried into it),
// rather than writing past the end of the old one.
TEST_F(DatapathTest, GrowingPastTheCountersHeadroomReplacesTheCountersMap) {
  auto small = apply("dpb0", rules_from(table_rules(10)));
  ASSERT_TRUE(small.ok()) << small.error().to_string();
  send(udp_to(10005), 3);
  ASSERT_TRUE(eventually([&] { return packets(topo_.b(), "dpb0")[5] == 3; }));
  auto grown = apply("dpb0", rules_from(table_rules(100)));
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  EXPECT_FALSE(grown->counters_kept);
  EXPECT_TRUE(grown->counters_carried);
  send(udp_to(10050), 2);
  send(udp_to(10005), 1);
  EXPECT_TRUE(eventually([&] {
    auto p = packets(topo_.b(), "dpb0");
    return p.size() == 100 && p[50] == 2 && p[5] == 4;  // the 3 from before the growth carried
  }));
}

// Frames to UDP port 1000 (kTwoRules' first rule) from dpa0 for as long as it lives, paced to
// stay under the veth ring.
class SteadyTraffic {
 public:
  explicit SteadyTraffic(std::string netns) : netns_(std::move(netns)) {
    thread_ = std::thread([this] {
      NetnsScope in_a(netns_);
      RawSender out("dpa0");
      const auto frame = udp_to(1000);
      while (!stop_) {
        out.send(frame, 10);
        sent_ += 10;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    });
  }
  ~SteadyTraffic() { stop(); }
  // Stops sending. The frames that reached XDP: those the veth dropped for a full ring did not.
  uint64_t stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    dropped_ = std::stoull(tc2xdp::testing::sh("ip netns exec " + netns_ +
                                               " cat /sys/class/net/dpa0/statistics/tx_dropped"));
    return sent_ - dropped_;
  }
  std::string summary() const {
    return "sent " + std::to_string(sent_.load()) + ", dropped by veth " + std::to_string(dropped_);
  }

 private:
  std::string netns_;
  std::atomic<bool> stop_ = false;
  std::atomic<uint64_t> sent_ = 0;
  uint64_t dropped_ = 0;
  std::thread thread_;
};

// Stops `traffic`; every frame that reached XDP was counted once, on dpb0's first rule.
void expect_all_counted(SteadyTraffic& traffic, const std::string& netns_b) {
  const uint64_t delivered = traffic.stop();
  EXPECT_TRUE(eventually([&] {
    auto p = packets(netns_b, "dpb0");
    return !p.empty() && p[0] == delivered;
  })) << traffic.summary()
      << ", counted " << packets(netns_b, "dpb0")[0];
}

// Rules that outnumber the counters map's headroom get a bigger map; under traffic, the counts
// the old program made up to its last run still reach the new map (seeded before the swap, the
// rest added after an RCU grace period).
TEST_F(DatapathTest, CountersCarryIntoAGrownMapUnderTraffic) {
  ASSERT_TRUE(apply("dpb0", rules_from(kTwoRules)).ok());
  SteadyTraffic traffic(topo_.a());
  // 2 rules (64 slots), then 102 (256), 402 (832) and 1202 (2240): three growths while frames
  // flow (without the carry after the swap, five runs of five lost counts).
  for (int extra : {100, 400, 1200}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string text = kTwoRules;
    for (int i = 0; i < extra; ++i) {
      text += "filter add dev dpb0 ingress pref " + std::to_string(100 + i) +
              " protocol ip flower ip_proto udp dst_port " + std::to_string(20000 + i) +
              " action pass\n";
    }
    auto report = apply("dpb0", rules_from(text));
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    EXPECT_FALSE(report->counters_kept);
    EXPECT_TRUE(report->counters_carried);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  expect_all_counted(traffic, topo_.b());
}

// A compiler whose program the verifier must reject (an unchecked packet read), with maps shaped
// like the real ones so that the failure is the verifier's.
Result<codegen::BpfProgram> unverifiable(const ir::RuleSet&, const plan::Plan& plan) {
  using codegen::BtfType;
  using codegen::MapKind;
  codegen::BpfModule m("broken", "entry\nrule 1: unchecked read\n");
  m.declare_map(
      {codegen::kStatsMap, MapKind::kArray, BtfType::u32(),
       BtfType::structure("counters", {{"counts", 8, 2 * std::max<uint32_t>(1, plan.stats_slots)}}),
       plan.cpus, BPF_F_MMAPABLE});
  m.declare_map({codegen::kLastHitMap, MapKind::kArray, BtfType::u32(),
                 BtfType::structure("last_hits", {{"units", 4, plan::kU32Chunk}}),
                 plan::u32_chunks(std::max<uint32_t>(1, plan.stats_slots))});
  codegen::XdpFunction fn = m.create_xdp_function(codegen::kProgramName);
  auto& b = fn.builder();
  fn.set_line(2);
  fn.return_value(
      b.CreateZExt(b.CreateLoad(b.getInt8Ty(), fn.packet_pointer(b.getInt64(12))), b.getInt32Ty()));
  return m.finish();
}

TEST_F(DatapathTest, ARejectedProgramLeavesTheOldOneAttached) {
  ASSERT_TRUE(apply("dpb0", rules_from(kTwoRules)).ok());
  uint32_t before;
  {
    NetnsScope in_b(topo_.b());
    before = Datapath::open("dpb0")->program_id();
  }
  ApplyOptions broken;
  broken.compiler = unverifiable;
  auto report = apply("dpb0",
                      rules_from(std::string(kTwoRules) + "filter add dev dpb0 ingress "
                                                          "pref 30 protocol ip flower "
                                                          "action drop\n"),
                      broken);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().to_string().find("invalid access to packet"), std::string::npos)
      << report.error().to_string();
  NetnsScope in_b(topo_.b());
  auto dp = Datapath::open("dpb0");
  ASSERT_TRUE(dp.ok());
  EXPECT_EQ(dp->program_id(), before);
  EXPECT_EQ(dp->rules().size(), 2u);  // the state was not touched either
}

TEST_F(DatapathTest, TwoInterfacesAreManagedAtOnce) {
  topo_.add_veth("dpa1", "dpb1");
  ASSERT_TRUE(apply("dpb0", rules_from(kTwoRules)).ok());
  ASSERT_TRUE(apply("dpb1", rules_from("filter add dev dpb1 ingress pref 1 protocol ip flower "
                                       "ip_proto udp action drop\n"))
                  .ok());
  send(udp_to(2000), 3);
  send(udp_to(2000), 6, "dpa1");
  EXPECT_TRUE(eventually([&] {
    return packets(topo_.b(), "dpb0") == std::vector<uint64_t>{0, 3} &&
           packets(topo_.b(), "dpb1") == std::vector<uint64_t>{6};
  }));
  auto managed = Datapath::managed();
  EXPECT_NE(std::find(managed.begin(), managed.end(), "dpb0"), managed.end());
  EXPECT_NE(std::find(managed.begin(), managed.end(), "dpb1"), managed.end());
}

TEST_F(DatapathTest, CountersReconcileAcrossSwapsUnderTraffic) {
  ASSERT_TRUE(apply("dpb0", rules_from(kTwoRules)).ok());
  SteadyTraffic traffic(topo_.a());
  // Alternate two shapes so every swap is a recompile.
  for (int i = 0; i < 20; ++i) {
    std::string text = kTwoRules;
    if (i % 2 == 0)
      text += "filter add dev dpb0 ingress pref 30 protocol ip flower ip_proto tcp action drop\n";
    auto report = apply("dpb0", rules_from(text));
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    EXPECT_TRUE(report->counters_kept);
  }
  expect_all_counted(traffic, topo_.b());
}

}  // namespace
}  // namespace tc2xdp::runtime
