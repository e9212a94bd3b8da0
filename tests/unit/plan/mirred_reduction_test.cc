// The planner's reduction of mirred: copies and a redirect become one fan-out (a broadcast), an
// ingress target goes through a veth peer, and what XDP cannot send exactly is punted with why.
#include <gtest/gtest.h>

#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

// veth1 and veth2 exist; only veth2 has a peer XDP can transmit on to reach its receive path.
Plan plan_text(const std::string& text, ir::RuleSet& rules, LookupPolicy lookup = {}) {
  Diagnostics diags;
  EXPECT_TRUE(frontend::tc::load_rules(text, "t.tc", rules, diags)) << diags.to_string();
  PlanOptions options;
  options.resolve_device = [](const std::string& dev) -> std::optional<uint32_t> {
    if (dev == "veth1") return 4;
    if (dev == "veth2") return 5;
    return std::nullopt;
  };
  options.resolve_ingress = [](const std::string& dev) -> std::optional<uint32_t> {
    if (dev == "veth2") return 6;
    return std::nullopt;
  };
  options.lookup = lookup;
  return make_plan(rules, options, diags);
}

std::string filter(uint32_t pref, const std::string& actions) {
  return "filter add dev eth0 ingress pref " + std::to_string(pref) +
         " protocol ip flower ip_proto udp " + actions + "\n";
}

const ActionList& list_of(const Plan& p, size_t rule) {
  EXPECT_TRUE(p.rules[rule].terminal.actions);
  return p.action_lists.at(p.rules[rule].terminal.actions.value_or(0));
}

TEST(MirredReduction, CopiesThenDropOrRedirectAreOneFanout) {
  ir::RuleSet rules;
  const std::string text =
      filter(1, "action mirred egress mirror dev veth1 pipe action drop") +
      filter(
          2,
          "action pedit ex munge ip ttl set 3 pipe action mirred egress mirror dev veth1 pipe "
          "action mirred ingress mirror dev veth2 pipe action mirred egress redirect dev veth1") +
      filter(3, "action mirred egress mirror dev veth2 drop") +  // the copy's own verdict
      filter(4, "action mirred egress mirror dev veth1 pipe action drop");
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.punted_count(), 0u) << describe(p, rules);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(p.rules[i].terminal.kind, Terminal::Kind::kFanout);

  const ActionList& one = list_of(p, 0);
  EXPECT_EQ(one.verdict, Terminal::Kind::kFanout);
  EXPECT_TRUE(one.steps.empty());
  EXPECT_EQ(one.sends, (std::vector<DeviceTarget>{{"veth1", false}}));

  const ActionList& two = list_of(p, 1);
  ASSERT_EQ(two.steps.size(), 1u);  // the rewrite before the copies reaches every port
  EXPECT_EQ(two.sends,
            (std::vector<DeviceTarget>{{"veth1", false}, {"veth2", true}, {"veth1", false}}));

  EXPECT_EQ(list_of(p, 2).sends, (std::vector<DeviceTarget>{{"veth2", false}}));
  // Identical fan-outs share one list (one devmap).
  EXPECT_EQ(p.rules[3].terminal.actions, p.rules[0].terminal.actions);
  EXPECT_TRUE(p.redirects.empty());  // fan-outs have their own devmaps

  const std::string described = describe(p, rules);
  EXPECT_NE(described.find("fanout dev veth1 ingress dev veth2 dev veth1"), std::string::npos)
      << described;
}

TEST(MirredReduction, IngressRedirectTakesADevmapSlotOfItsOwn) {
  ir::RuleSet rules;
  const std::string text = filter(1, "action mirred ingress redirect dev veth2") +
                           filter(2, "action mirred egress redirect dev veth2");
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.punted_count(), 0u) << describe(p, rules);
  ASSERT_EQ(p.redirects.size(), 2u);
  EXPECT_EQ(p.redirects[0].target, (DeviceTarget{"veth2", true}));
  EXPECT_EQ(p.redirects[1].target, (DeviceTarget{"veth2", false}));
  EXPECT_NE(p.rules[0].terminal.redirect_slot, p.rules[1].terminal.redirect_slot);
}

TEST(MirredReduction, CopiesOfAPassedFrameAreMadeAtTcIngress) {
  ir::RuleSet rules;
  const std::string text =
      filter(1, "action mirred egress mirror dev veth1") +  // pipe off the end: pass
      filter(2,
             "action skbedit mark 5 pipe action mirred egress mirror dev veth1 pipe "
             "action mirred ingress mirror dev veth1 pipe action pass");
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.punted_count(), 0u) << describe(p, rules);
  EXPECT_TRUE(p.needs_tc_companion());
  EXPECT_EQ(p.rules[0].terminal.kind, Terminal::Kind::kPass);
  EXPECT_TRUE(list_of(p, 0).copies_at_tc());
  EXPECT_EQ(list_of(p, 0).sends, (std::vector<DeviceTarget>{{"veth1", false}}));
  // tc clones into a receive path itself: an ingress copy needs no veth peer.
  EXPECT_EQ(list_of(p, 1).sends, (std::vector<DeviceTarget>{{"veth1", false}, {"veth1", true}}));
  EXPECT_NE(describe(p, rules).find("pass with copies at tc ingress to dev veth1"),
            std::string::npos);
}

TEST(MirredReduction, WhatCannotBeSentExactlyIsPuntedWithItsReason) {
  ir::RuleSet rules;
  const std::string text =
      filter(3,
             "action mirred egress mirror dev veth1 pipe action pedit ex munge ip ttl set 1 "
             "pipe action drop") +
      filter(4, "action mirred egress mirror dev veth1 pipe action continue");
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.punted_count(), 2u) << describe(p, rules);
  const auto reason = [&](size_t i) { return p.rules[i].punt_reason; };
  EXPECT_NE(reason(0).find("pedit after a mirred copy"), std::string::npos) << reason(0);
  EXPECT_NE(reason(1).find("continue"), std::string::npos) << reason(1);
  EXPECT_TRUE(p.action_lists.empty());
}

TEST(MirredReduction, AnIngressTargetWithoutAVethPeerIsSentFromTc) {
  ir::RuleSet rules;
  const std::string text =
      filter(5, "action mirred ingress redirect dev veth1") +  // no peer to transmit on
      filter(6,
             "action mirred egress mirror dev veth1 pipe action mirred ingress mirror dev "
             "veth1 pipe action drop") +
      filter(7, "action mirred ingress redirect dev veth2");  // veth2 has a peer: XDP
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.punted_count(), 0u) << describe(p, rules);
  EXPECT_TRUE(p.needs_tc_companion());
  // The frame is passed to the companion, which sends it and then drops it.
  EXPECT_EQ(p.rules[0].terminal.kind, Terminal::Kind::kPass);
  EXPECT_TRUE(list_of(p, 0).consumed_at_tc);
  EXPECT_EQ(list_of(p, 0).sends, (std::vector<DeviceTarget>{{"veth1", true}}));
  EXPECT_TRUE(list_of(p, 1).consumed_at_tc);
  EXPECT_EQ(list_of(p, 1).sends, (std::vector<DeviceTarget>{{"veth1", false}, {"veth1", true}}));
  EXPECT_EQ(p.rules[2].terminal.kind, Terminal::Kind::kRedirect);
  EXPECT_FALSE(p.rules[2].terminal.actions);
}

}  // namespace
}  // namespace tc2xdp::plan
