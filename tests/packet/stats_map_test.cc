// The counters map (runtime/stats_map.h): an element per possible CPU even for a plan made for
// one, each CPU counting into its own, and the runtime reading and zeroing single slots.
#include "tc2xdp/runtime/stats_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frames.h"
#include "root_check.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/on_cpu.h"
#include "tc2xdp/runtime/test_run.h"

namespace tc2xdp::testing {
namespace {

TEST(StatsMap, EveryCpuCountsIntoItsOwnElement) {
  TC2XDP_REQUIRE_ROOT();
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(
      "filter add dev eth0 ingress pref 1 protocol ip flower ip_proto tcp action pass\n"
      "filter add dev eth0 ingress pref 2 protocol ip flower ip_proto udp action drop\n",
      "stats.tc", rules, diags))
      << diags.to_string();
  plan::PlanOptions options;  // cpus = 1: the loader must still give every CPU an element
  const plan::Plan plan = plan::make_plan(rules, options, diags);
  ASSERT_EQ(plan.cpus, 1u);
  auto program = codegen::compile(rules, plan);
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  auto object = runtime::BpfObject::load(program->object);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  const int prog = *object->program_fd(codegen::kProgramName);
  const int stats_fd = *object->map_fd(codegen::kStatsMap);

  const int cpus = *runtime::possible_cpus();
  auto shape = runtime::stats_shape(stats_fd);
  ASSERT_TRUE(shape.ok()) << shape.error().to_string();
  EXPECT_EQ(shape->cpus, static_cast<uint32_t>(cpus));
  EXPECT_EQ(shape->slots, plan.stats_slots);

  const uint32_t udp_slot = plan.rules[1].stats_slot, tcp_slot = plan.rules[0].stats_slot;
  const std::vector<uint8_t> frame = ipv4_frame(0x0a000002, 90);  // UDP
  std::vector<uint32_t> ran_on;
  for (int cpu = 0; cpu < cpus; ++cpu) {
    runtime::OnCpu pinned(cpu);
    if (!pinned.ok()) continue;  // offline
    auto run = runtime::test_run(prog, frame, {.repeat = static_cast<uint32_t>(cpu + 3)});
    ASSERT_TRUE(run.ok()) << run.error().to_string();
    EXPECT_EQ(run->retval, 1u) << "XDP_DROP";
    ran_on.push_back(static_cast<uint32_t>(cpu));
  }
  ASSERT_FALSE(ran_on.empty());

  auto mapped = runtime::StatsMap::open(stats_fd);
  ASSERT_TRUE(mapped.ok()) << mapped.error().to_string();
  uint64_t packets = 0;
  for (uint32_t cpu : ran_on) {
    const plan::SlotCounts counts = mapped->on_cpu(cpu, udp_slot);
    EXPECT_EQ(counts.packets, cpu + 3) << "CPU " << cpu;
    EXPECT_EQ(counts.bytes, (cpu + 3) * frame.size()) << "CPU " << cpu;
    EXPECT_EQ(mapped->on_cpu(cpu, tcp_slot).packets, 0u) << "CPU " << cpu;
    packets += cpu + 3;
  }
  EXPECT_EQ(mapped->total(udp_slot).packets, packets);
  EXPECT_EQ(mapped->total(udp_slot).bytes, packets * frame.size());

  ASSERT_TRUE(runtime::zero_stats_slots(stats_fd, {udp_slot}).ok());
  EXPECT_EQ(mapped->total(udp_slot).packets, 0u);
  EXPECT_EQ(mapped->total(udp_slot).bytes, 0u);
  EXPECT_FALSE(runtime::zero_stats_slots(stats_fd, {plan.stats_slots}).ok())
      << "a slot past the map is refused";
}

TEST(StatsMap, AMapNotLaidOutAsCountersIsRefused) {
  TC2XDP_REQUIRE_ROOT();
  // The last-hit map is an array too, but neither mmapable nor of slot counts.
  ir::RuleSet rules;
  Diagnostics diags;
  ASSERT_TRUE(frontend::tc::load_rules(
      "filter add dev eth0 ingress pref 1 protocol ip flower action pass\n", "one.tc", rules,
      diags));
  const plan::Plan plan = plan::make_plan(rules, {}, diags);
  auto program = codegen::compile(rules, plan);
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  auto object = runtime::BpfObject::load(program->object);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  auto shape = runtime::stats_shape(*object->map_fd(codegen::kLastHitMap));
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.error().to_string().find("not an mmapable array"), std::string::npos)
      << shape.error().to_string();
}

}  // namespace
}  // namespace tc2xdp::testing
