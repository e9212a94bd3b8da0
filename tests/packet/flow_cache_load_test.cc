// A plan with a flow cache whose program was built without one (codegen::compile falls back when
// the cache does not fit the stack) still loads and fills its maps.
#include <gtest/gtest.h>

#include <string>

#include "root_check.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/program_check.h"

namespace tc2xdp::testing {
namespace {

TEST(FlowCacheLoad, AProgramBuiltWithoutThePlansCacheLoads) {
  TC2XDP_REQUIRE_ROOT();
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "filter add dev eth0 ingress pref " + std::to_string(i + 1) +
            " protocol ip flower ip_proto udp dst_port " + std::to_string(7000 + i) +
            " action drop\n";
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(text, "cached.tc", rules, diags)) << diags.to_string();
  plan::PlanOptions options;
  options.lookup = plan::LookupPolicy::kAlwaysTable;
  options.flow_cache_entries = 64;
  options.cpus = 2;
  const plan::Plan plan = plan::make_plan(rules, options, diags);
  ASSERT_TRUE(plan.flow_cache.enabled());
  plan::Plan uncached = plan;  // as codegen::compile's fallback builds it
  uncached.flow_cache = {};
  for (plan::Table& t : uncached.tables) t.flow_cached = false;
  auto program = codegen::compile(rules, uncached);
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  auto loaded = runtime::LoadedProgram::load(plan, *program, {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_FALSE(loaded->map_fd(codegen::kFlowCacheMap).ok());
}

}  // namespace
}  // namespace tc2xdp::testing
