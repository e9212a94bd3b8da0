// Planner v1: offload decisions, terminals, punt widening, goto loops, parse plan.
#include <gtest/gtest.h>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

using ir::ControlKind;
using ir::Field;

ir::Action gact(ControlKind kind, uint32_t arg = 0) {
  ir::Control c{kind, arg};
  return ir::Action{ir::GactAction{c}, c, std::nullopt};
}

ir::Action redirect(std::string dev, ControlKind control = ControlKind::kStolen) {
  return ir::Action{ir::MirredAction{false, true, std::move(dev)}, {control}, std::nullopt};
}

ir::Rule rule(uint32_t chain, uint32_t pref, std::vector<ir::Action> actions) {
  ir::Rule r;
  r.chain = chain;
  r.pref = pref;
  r.protocol = 0x0800;
  r.match.set(Field::kIpProto, ir::MaskedValue::from_u64(1, 6, 0xff));
  r.actions = std::move(actions);
  r.origin = {"t.tc", static_cast<int>(pref), 1};
  return r;
}

Plan plan_of(const std::vector<ir::Rule>& rules, Diagnostics& diags) {
  ir::RuleSet set;
  for (const auto& r : rules) EXPECT_TRUE(set.apply({ir::CommandOp::kAdd, r}, diags));
  return make_plan(set, {}, diags);
}

TEST(Planner, ActionListsReduceToTheirTerminal) {
  Diagnostics d;
  Plan p = plan_of(
      {rule(0, 1, {gact(ControlKind::kDrop)}),
       rule(0, 2, {gact(ControlKind::kPipe), gact(ControlKind::kOk)}),
       rule(0, 3, {gact(ControlKind::kContinue)}), rule(0, 4, {gact(ControlKind::kGotoChain, 5)}),
       rule(0, 5, {redirect("veth1")}), rule(0, 6, {}), rule(0, 7, {gact(ControlKind::kPipe)})},
      d);
  ASSERT_EQ(p.rules.size(), 7u);
  EXPECT_EQ(p.rules[0].terminal.kind, Terminal::Kind::kDrop);
  EXPECT_EQ(p.rules[1].terminal.kind, Terminal::Kind::kPass);
  EXPECT_EQ(p.rules[2].terminal.kind, Terminal::Kind::kContinue);
  EXPECT_EQ(p.rules[3].terminal, (Terminal{Terminal::Kind::kGotoChain, 5, 0}));
  EXPECT_EQ(p.rules[4].terminal.kind, Terminal::Kind::kRedirect);
  ASSERT_EQ(p.redirects.size(), 1u);
  EXPECT_EQ(p.redirects[0].target.dev, "veth1");
  EXPECT_EQ(p.rules[5].terminal.kind, Terminal::Kind::kPass);  // no action: TC_ACT_OK
  EXPECT_EQ(p.rules[6].terminal.kind, Terminal::Kind::kPass);  // pipe off the end
  EXPECT_EQ(p.punted_count(), 0u);
  EXPECT_FALSE(d.has_errors());
}

TEST(Planner, UnsupportedRulesArePuntedWithAReasonAndAWarning) {
  Diagnostics d;
  ir::Rule ct = rule(0, 1, {gact(ControlKind::kDrop)});
  ct.match.set(Field::kCtState, ir::MaskedValue::from_u64(2, ir::kCtTracked, ir::kCtTracked));
  ir::VlanAction pop_eth;
  pop_eth.op = ir::VlanAction::Op::kPopEth;
  ir::Rule vlan_pop = rule(0, 2, {ir::Action{pop_eth, {ControlKind::kPipe}, {}}});
  // A copy (a redirect that goes on), then continue: later filters could still rewrite.
  ir::Rule mirror =
      rule(0, 3, {redirect("veth1", ControlKind::kPipe), gact(ControlKind::kContinue)});
  ir::Rule reclassify = rule(0, 4, {gact(ControlKind::kReclassify)});
  Plan p = plan_of({ct, vlan_pop, mirror, reclassify}, d);
  ASSERT_EQ(p.punted_count(), 4u);
  EXPECT_NE(p.rules[0].punt_reason.find("ct_state"), std::string::npos);
  EXPECT_NE(p.rules[1].punt_reason.find("vlan"), std::string::npos);
  EXPECT_NE(p.rules[2].punt_reason.find("mirred"), std::string::npos);
  EXPECT_NE(p.rules[3].punt_reason.find("reclassify"), std::string::npos);
  for (const auto& r : p.rules) EXPECT_EQ(r.terminal.kind, Terminal::Kind::kPunt);
  size_t warnings = 0;
  for (const auto& item : d.items()) warnings += item.severity == Severity::kWarning;
  EXPECT_EQ(warnings, 4u);
  EXPECT_FALSE(d.has_errors());
}

TEST(Planner, PuntedMatchesDropOnlyTheKeysXdpCannotSee) {
  Diagnostics d;
  ir::Rule ct = rule(0, 1, {gact(ControlKind::kDrop)});
  ct.match.set(Field::kCtState, ir::MaskedValue::from_u64(2, ir::kCtTracked, ir::kCtTracked));
  ct.match.set(Field::kEncKeyId, ir::MaskedValue::from_u64(4, 5, 0xffffffff));
  ct.match.indev = "no-such-dev";
  Plan p = plan_of({ct}, d);
  ir::RuleSet set;
  set.apply({ir::CommandOp::kAdd, ct}, d);
  ir::Match m = evaluated_match(set.rules()[0], p.rules[0]);
  EXPECT_FALSE(m.has(Field::kCtState));
  EXPECT_FALSE(m.has(Field::kEncKeyId));
  EXPECT_FALSE(m.indev);
  EXPECT_TRUE(m.has(Field::kIpProto));
  EXPECT_TRUE(p.parse.fields.test(static_cast<size_t>(Field::kIpProto)));
  EXPECT_FALSE(p.parse.fields.test(static_cast<size_t>(Field::kCtState)));
}

TEST(Planner, GotoThatClosesALoopIsPunted) {
  Diagnostics d;
  Plan p = plan_of({rule(0, 1, {gact(ControlKind::kGotoChain, 1)}),
                    rule(1, 1, {gact(ControlKind::kGotoChain, 2)}),
                    rule(2, 1, {gact(ControlKind::kGotoChain, 1)})},
                   d);
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_TRUE(p.rules[0].offloaded);
  EXPECT_TRUE(p.rules[1].offloaded);
  EXPECT_FALSE(p.rules[2].offloaded);
  EXPECT_NE(p.rules[2].punt_reason.find("loop"), std::string::npos);
  ASSERT_EQ(p.chains.size(), 3u);
  EXPECT_EQ(p.chains[2].chain, 2u);
}

TEST(Planner, IndevResolvesThroughTheResolverOrPunts) {
  Diagnostics d;
  ir::Rule r = rule(0, 1, {gact(ControlKind::kDrop)});
  r.match.indev = "veth0";
  ir::RuleSet set;
  set.apply({ir::CommandOp::kAdd, r}, d);
  PlanOptions known{[](const std::string& n) -> std::optional<uint32_t> {
    return n == "veth0" ? std::optional<uint32_t>(7) : std::nullopt;
  }};
  Plan p = make_plan(set, known, d);
  EXPECT_TRUE(p.rules[0].offloaded);
  EXPECT_EQ(p.rules[0].indev_ifindex, 7u);
  EXPECT_TRUE(p.parse.indev);
  Plan unknown = make_plan(set, {}, d);
  EXPECT_FALSE(unknown.rules[0].offloaded);
}

TEST(Planner, ParsePlanCoversOnlyWhatRulesRead) {
  Diagnostics d;
  Plan p = plan_of({rule(0, 1, {gact(ControlKind::kDrop)})}, d);
  EXPECT_TRUE(p.parse.ipv4);
  EXPECT_FALSE(p.parse.ipv6);
  EXPECT_FALSE(p.parse.arp);
  EXPECT_FALSE(p.parse.mpls);
  EXPECT_FALSE(p.parse.l4);
  ir::Rule ports = rule(0, 2, {gact(ControlKind::kDrop)});
  ports.match.dst_port_range = ir::PortRange{10, 20};
  Plan q = plan_of({ports}, d);
  EXPECT_TRUE(q.parse.l4);
  EXPECT_TRUE(q.parse.dst_port_range);
  EXPECT_NE(p.shape_fingerprint, q.shape_fingerprint);
}

}  // namespace
}  // namespace tc2xdp::plan

namespace tc2xdp::plan {
namespace {

TEST(Planner, StatsSlotsSurviveRecompilesAndNewRulesTakeFreshSlots) {
  Diagnostics d;
  ir::RuleSet set;
  for (uint32_t pref : {10, 20, 30}) {
    ir::Rule r;
    r.pref = pref;
    r.protocol = 0x0800;
    ASSERT_TRUE(set.apply({ir::CommandOp::kAdd, r}, d));
  }
  PlanOptions options;
  options.previous_stats_slots = {{{0, 20, 1}, 7}, {{0, 99, 1}, 0}};  // pref 99 was deleted
  options.min_stats_slots = 64;
  Plan p = make_plan(set, options, d);
  EXPECT_EQ(p.rules[1].stats_slot, 7u);  // kept
  EXPECT_EQ(p.rules[0].stats_slot, 1u);  // 0 was pref 99's: not reused in this change
  EXPECT_EQ(p.rules[2].stats_slot, 2u);
  EXPECT_EQ(p.stats_slots, 64u);
}

}  // namespace
}  // namespace tc2xdp::plan
