// The differential check at scale: ClassBench acl1_10k and fw1_10k as tc rules, compiled as the
// planner chooses (cut trees, the rest under hash tuples), against the reference on a trace that
// hits rules across the whole set plus misses: verdict and deciding rule per frame, then every
// rule's counters.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <fstream>

#include "common/classbench_trace.h"
#include "root_check.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/program_check.h"

namespace tc2xdp {
namespace {

// `flow_cache_entries` > 0: behind a flow cache of that many entries per CPU, the trace run twice
// (its second pass mostly answered by the cache).
void check_classbench(const std::string& name, size_t frames, uint32_t flow_cache_entries = 0) {
  std::ifstream in(TC2XDP_SOURCE_DIR "/../shared/data/classbench/" + name);
  ASSERT_TRUE(in) << "no ClassBench data " << name;
  std::vector<classbench::Filter> filters;
  std::string line, error, text;
  while (std::getline(in, line)) {
    auto f = classbench::parse_line(line, error);
    if (!f) continue;
    filters.push_back(*f);
    text += classbench::to_tc(*f, static_cast<uint32_t>(filters.size()), "eth0",
                              classbench::ActionPolicy::kAlternate) +
            "\n";
  }
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(text, name, rules, diags)) << diags.to_string();
  plan::PlanOptions plan_options;
  plan_options.flow_cache_entries = flow_cache_entries;
  plan_options.cpus = static_cast<uint32_t>(runtime::possible_cpus().value_or(1));
  const plan::Plan plan = plan::make_plan(rules, plan_options, diags);
  ASSERT_EQ(plan.flow_cache.enabled(), flow_cache_entries > 0);
  ASSERT_FALSE(plan.tables.empty()) << "the planner should choose a table at this size";
  EXPECT_GE(plan.tables[0].trees.size(), 2u) << "and cut trees, one per group of wide fields";
  auto program = codegen::compile(rules, plan);
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  auto loaded = runtime::LoadedProgram::load(plan, *program, {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto options = runtime::reference_options(plan, rules, {});
  std::vector<plan::RuleCounters> expected(rules.size());
  size_t disagreements = 0, hits = 0;
  const auto trace = bench::classbench_trace(filters, frames, /*seed=*/42);
  for (int pass = 0; pass < (flow_cache_entries ? 2 : 1); ++pass)
    for (const auto& frame : trace) {
      auto got = loaded->run(frame);
      ASSERT_TRUE(got.ok()) << got.error().to_string();
      const auto want = reference::classify(rules, frame, 1, options);
      for (const auto& hit : want.hits) {
        expected[hit.index].packets += 1;
        expected[hit.index].bytes += frame.size();
      }
      hits += want.matched.has_value();
      const std::string diff = runtime::compare_outcomes(*got, want, rules);
      if (!diff.empty() && ++disagreements <= 3)
        ADD_FAILURE() << name << ": " << diff << "\n" << want.explanation;
    }
  EXPECT_EQ(disagreements, 0u);
  EXPECT_GT(hits, frames / 2) << "the trace should hit rules";
  auto counters = loaded->counters();
  ASSERT_TRUE(counters.ok()) << counters.error().to_string();
  size_t counted_rules = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    counted_rules += expected[i].packets != 0;
    EXPECT_EQ((*counters)[i].packets, expected[i].packets) << name << " rule " << i + 1;
    EXPECT_EQ((*counters)[i].bytes, expected[i].bytes) << name << " rule " << i + 1;
  }
  std::printf(
      "[ scale ] %s: %zu rules, %zu cut trees, %zu tuples, %zu frames, %zu rules hit, all agree: "
      "%s\n",
      name.c_str(), rules.size(), plan.tables[0].trees.size(), plan.tables[0].tuples.size(), frames,
      counted_rules, disagreements == 0 ? "yes" : "no");
}

TEST(DifferentialScale, Acl1TenThousandRulesAgreeWithTheReference) {
  TC2XDP_REQUIRE_ROOT();
  check_classbench("acl1_10k", 3000);
}

TEST(DifferentialScale, Fw1TenThousandRulesAgreeWithTheReference) {
  TC2XDP_REQUIRE_ROOT();
  check_classbench("fw1_10k", 3000);
}

// A cache far smaller than the trace's flows: answers are evicted and replaced all along.
TEST(DifferentialScale, Acl1BehindASmallFlowCacheAgreesWithTheReference) {
  TC2XDP_REQUIRE_ROOT();
  check_classbench("acl1_10k", 3000, 256);
}

TEST(DifferentialScale, Fw1BehindTheDefaultFlowCacheAgreesWithTheReference) {
  TC2XDP_REQUIRE_ROOT();
  check_classbench("fw1_10k", 3000, plan::kDefaultFlowCacheEntries);
}

}  // namespace
}  // namespace tc2xdp
