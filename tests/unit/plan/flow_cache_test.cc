// The flow cache's plan: its size from the options, which tables it serves, its key's width.
#include "tc2xdp/plan/flow_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

// `n` rules in `chain` (prefs 1..n), each its own destination; `ranges`: a port range each
// instead of an exact port.
std::string chain_rules(uint32_t chain, int n, bool ranges = false) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text +=
        "filter add dev eth0 ingress chain " + std::to_string(chain) + " pref " +
        std::to_string(i + 1) + " protocol ip flower ip_proto udp dst_ip 10." +
        std::to_string(chain) + "." + std::to_string(i / 200) + "." + std::to_string(i % 200) +
        (ranges ? " dst_port 100-" + std::to_string(200 + i) : " dst_port " + std::to_string(i)) +
        " action drop\n";
  }
  return text;
}

Plan plan_with(const std::string& text, uint32_t entries, uint32_t cpus = 2) {
  ir::RuleSet rules;
  Diagnostics diags;
  EXPECT_TRUE(frontend::tc::load_rules(text, "t.tc", rules, diags)) << diags.to_string();
  PlanOptions options;
  options.lookup = LookupPolicy::kAlwaysTable;
  options.flow_cache_entries = entries;
  options.cpus = cpus;
  return make_plan(rules, options, diags);
}

TEST(FlowCachePlan, EntriesRoundUpToWholeSetsAPowerOfTwoOfThem) {
  const std::string text = chain_rules(0, 20);
  EXPECT_FALSE(plan_with(text, 0).flow_cache.enabled());
  EXPECT_EQ(plan_with(text, 1).flow_cache.sets, 1u);
  EXPECT_EQ(plan_with(text, 4096).flow_cache.sets, 4096 / kFlowCacheWays);
  EXPECT_EQ(plan_with(text, 4097).flow_cache.sets, 2 * 4096 / kFlowCacheWays);
  EXPECT_EQ(plan_with(text, 1u << 30).flow_cache.sets, kFlowCacheMaxSets);
  const Plan p = plan_with(text, 4096, 3);
  EXPECT_EQ(p.flow_cache.cpus, 3u);
  // The stamp's line, three regions, the set CPUs past them share, then a line of counts for
  // each CPU and one for those past them.
  EXPECT_EQ(p.flow_cache.counts_offset(),
            kFlowCacheHeader + 3 * p.flow_cache.region_size() + p.flow_cache.set_size());
  EXPECT_EQ(p.flow_cache.bytes(), p.flow_cache.counts_offset() + 4 * kFlowCacheCountsLine);
  // A set: the ways' u32 metas, then their keys.
  EXPECT_EQ(p.flow_cache.key_offset(0), 4 * kFlowCacheWays);
  EXPECT_EQ(p.flow_cache.set_size(),
            4 * kFlowCacheWays + kFlowCacheWays * 8 * p.flow_cache.key_words);
}

TEST(FlowCachePlan, NoTablesNoCache) {
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(chain_rules(0, 3), "t.tc", rules, diags));
  PlanOptions options;
  options.lookup = LookupPolicy::kInlineOnly;
  options.flow_cache_entries = 4096;
  options.cpus = 2;
  EXPECT_FALSE(make_plan(rules, options, diags).flow_cache.enabled());
}

TEST(FlowCachePlan, TheLargestTablesAreCachedAndTheChoiceIsShape) {
  const Plan p = plan_with(chain_rules(0, 10) + chain_rules(1, 30) + chain_rules(2, 20), 4096);
  ASSERT_EQ(p.tables.size(), 3u);
  ASSERT_EQ(kFlowCachedTables, 2u);
  EXPECT_FALSE(p.tables[0].flow_cached);  // 10 records
  EXPECT_TRUE(p.tables[1].flow_cached);   // 30
  EXPECT_TRUE(p.tables[2].flow_cached);   // 20
  // The meta's table bit, in table order.
  EXPECT_EQ(p.tables[1].flow_cache_tag, 0u);
  EXPECT_EQ(p.tables[2].flow_cache_tag, 1u);
  const Plan uncached = plan_with(chain_rules(0, 10) + chain_rules(1, 30) + chain_rules(2, 20), 0);
  EXPECT_NE(p.shape_fingerprint, uncached.shape_fingerprint);
}

TEST(FlowCachePlan, ARangeOnAPortTheWordsLeaveOutAddsAPortsWord) {
  const Plan exact = plan_with(chain_rules(0, 20), 4096);
  ASSERT_EQ(exact.tables.size(), 1u);
  EXPECT_FALSE(flow_cache_ports_word(exact.tables[0]));
  EXPECT_EQ(exact.flow_cache.key_words, exact.tables[0].words);

  const Plan ranged = plan_with(chain_rules(0, 20, /*ranges=*/true), 4096);
  ASSERT_EQ(ranged.tables.size(), 1u);
  ASSERT_TRUE(ranged.tables[0].dst_port_range);
  EXPECT_TRUE(flow_cache_ports_word(ranged.tables[0]));
  EXPECT_EQ(ranged.flow_cache.key_words, ranged.tables[0].words + 1);
}

}  // namespace
}  // namespace tc2xdp::plan
