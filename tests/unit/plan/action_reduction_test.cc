// The planner's reduction of rewriting action lists (vlan, pedit, csum, skbedit): which become
// action lists, what they share, what is punted and why, and what tables do with them.
#include <gtest/gtest.h>

#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

Plan plan_text(const std::string& text, ir::RuleSet& rules, LookupPolicy lookup = {}) {
  Diagnostics diags;
  EXPECT_TRUE(frontend::tc::load_rules(text, "t.tc", rules, diags)) << diags.to_string();
  PlanOptions options;
  options.resolve_device = [](const std::string& dev) -> std::optional<uint32_t> {
    if (dev == "veth1") return 4;
    return std::nullopt;
  };
  options.lookup = lookup;
  return make_plan(rules, options, diags);
}

inline constexpr const char* kHead = "filter add dev eth0 ingress pref ";

TEST(ActionReduction, RewritesBecomeAnActionListBeforeTheVerdict) {
  ir::RuleSet rules;
  const std::string text =
      std::string(kHead) +
      "1 protocol ip flower ip_proto udp action vlan push id 5 protocol 802.1ad priority 3 pipe "
      "action pedit ex munge ip dst set 10.0.0.2 munge ip ttl dec pipe action csum iph and udp "
      "pipe action mirred egress redirect dev veth1\n" +
      kHead + "2 protocol ip flower ip_proto tcp action skbedit mark 7 pipe action pass\n" + kHead +
      "3 protocol ip flower ip_proto icmp action pedit ex munge eth dst set 02:00:00:00:00:01\n";
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_EQ(p.punted_count(), 0u);
  ASSERT_EQ(p.action_lists.size(), 3u);

  const Terminal& push = p.rules[0].terminal;
  EXPECT_EQ(push.kind, Terminal::Kind::kRedirect);
  ASSERT_TRUE(push.actions);
  const ActionList& list = p.action_lists[*push.actions];
  EXPECT_EQ(list.verdict, Terminal::Kind::kRedirect);
  EXPECT_EQ(list.redirect_slot, push.redirect_slot);
  ASSERT_EQ(list.steps.size(), 3u);  // vlan, pedit, csum, in order; the redirect is the verdict
  const auto* vlan = std::get_if<ir::VlanAction>(&list.steps[0]);
  ASSERT_NE(vlan, nullptr);
  EXPECT_EQ(vlan->protocol, 0x88a8);
  EXPECT_EQ(vlan->id, 5);
  EXPECT_TRUE(std::holds_alternative<ir::PeditAction>(list.steps[1]));
  EXPECT_TRUE(std::holds_alternative<ir::CsumAction>(list.steps[2]));

  EXPECT_EQ(p.rules[1].terminal.kind, Terminal::Kind::kPass);
  ASSERT_TRUE(p.rules[1].terminal.actions);
  EXPECT_TRUE(std::holds_alternative<ir::SkbeditAction>(
      p.action_lists[*p.rules[1].terminal.actions].steps.at(0)));
  // pedit's own verdict (ok) ends the list: pass.
  EXPECT_EQ(p.rules[2].terminal.kind, Terminal::Kind::kPass);
  ASSERT_TRUE(p.rules[2].terminal.actions);

  const std::string described = describe(p, rules);
  EXPECT_NE(described.find("vlan push 0x88a8 id 5 prio 3"), std::string::npos) << described;
}

TEST(ActionReduction, IdenticalListsAreSharedAndDropsNeedNone) {
  ir::RuleSet rules;
  const std::string text =
      std::string(kHead) + "1 protocol ip flower ip_proto udp action vlan pop pipe action pass\n" +
      kHead + "2 protocol ip flower ip_proto tcp action vlan pop pipe action pass\n" + kHead +
      "3 protocol ip flower ip_proto icmp action vlan pop pipe action drop\n";
  Plan p = plan_text(text, rules);
  EXPECT_EQ(p.punted_count(), 0u);
  ASSERT_EQ(p.action_lists.size(), 1u);
  EXPECT_EQ(p.rules[0].terminal.actions, p.rules[1].terminal.actions);
  // A dropped frame's rewrites are never seen: a plain drop.
  EXPECT_EQ(p.rules[2].terminal.kind, Terminal::Kind::kDrop);
  EXPECT_FALSE(p.rules[2].terminal.actions);
}

TEST(ActionReduction, WhatCannotBeDoneExactlyIsPuntedWithItsReason) {
  ir::RuleSet rules;
  const std::string text =
      std::string(kHead) + "1 protocol ip flower ip_proto udp action vlan push id 5 continue\n" +
      kHead +
      "2 protocol ip flower ip_proto tcp action pedit ex munge ip ttl dec pipe action goto chain "
      "1\n" +
      kHead + "3 protocol ip flower ip_proto icmp action csum sctp pipe action pass\n" + kHead +
      "4 protocol ipv6 flower ip_proto udp action skbedit priority 1:1\n" + kHead +
      "5 protocol ipv6 flower ip_proto tcp action skbedit mark 1 pipe action skbedit queue_mapping "
      "2\n" +
      kHead + "6 protocol ipv6 flower ip_proto icmpv6 action vlan pop_eth pipe action pass\n";
  Plan p = plan_text(text, rules);
  ASSERT_EQ(p.rules.size(), 6u);
  EXPECT_EQ(p.punted_count(), 6u);
  const auto reason = [&](size_t i) { return p.rules[i].punt_reason; };
  EXPECT_NE(reason(0).find("vlan followed by continue"), std::string::npos) << reason(0);
  EXPECT_NE(reason(1).find("pedit followed by goto chain"), std::string::npos) << reason(1);
  EXPECT_NE(reason(2).find("csum sctp"), std::string::npos) << reason(2);
  EXPECT_NE(reason(3).find("skbedit priority"), std::string::npos) << reason(3);
  EXPECT_NE(reason(4).find("skbedit queue_mapping"), std::string::npos) << reason(4);
  EXPECT_NE(reason(5).find("pop_eth"), std::string::npos) << reason(5);
  EXPECT_TRUE(p.action_lists.empty());
  // `--emit plan` shows the reason next to the rule.
  EXPECT_NE(describe(p, rules).find("(csum sctp"), std::string::npos);
}

TEST(ActionReduction, TableRecordsNameTheirActionList) {
  ir::RuleSet rules;
  std::string text;
  for (int i = 1; i <= 6; ++i)
    text += std::string(kHead) + std::to_string(i) + " protocol ip flower dst_ip 10.0.0." +
            std::to_string(i) + " action pedit ex munge ip ttl set " + std::to_string(i) +
            " pipe action pass\n";
  Plan p = plan_text(text, rules, LookupPolicy::kAlwaysTable);
  ASSERT_EQ(p.tables.size(), 1u);
  ASSERT_EQ(p.action_lists.size(), 6u);
  for (const TableRecord& r : p.tables[0].records) {
    EXPECT_EQ(r.kind, RecordKind::kActions);
    EXPECT_EQ(r.arg, *p.rules[r.rule].terminal.actions);
  }
  // The lists are code: another value is another shape.
  ir::RuleSet other;
  std::string changed = text;
  changed.replace(changed.find("ttl set 6"), 9, "ttl set 9");
  EXPECT_NE(plan_text(changed, other, LookupPolicy::kAlwaysTable).shape_fingerprint,
            p.shape_fingerprint);
}

}  // namespace
}  // namespace tc2xdp::plan

namespace tc2xdp::plan {
namespace {

TEST(ActionReduction, ActionCodePastTheVerifierBudgetIsPunted) {
  ir::RuleSet rules;
  std::string text;
  // Distinct lists, each with rewrites of the tcp and udp ports behind IPv6 (a walk of the
  // extension headers per key, about 2.5k instructions each) and a csum whose code they share.
  for (int i = 1; i <= 40; ++i)
    text += std::string(kHead) + std::to_string(i) +
            " protocol ipv6 flower dst_ip 2001:db8::" + std::to_string(i) +
            " action pedit ex munge tcp sport set " + std::to_string(i) +
            " munge tcp dport set 1 munge udp sport set 2 munge udp dport set 3 pipe action csum "
            "iph icmp igmp tcp udp udplite pipe action pass\n";
  Plan p = plan_text(text, rules);
  ASSERT_GT(p.punted_count(), 0u);
  ASSERT_LT(p.punted_count(), 40u);
  // The first rules keep their code; the later ones are punted, each with the reason.
  EXPECT_TRUE(p.rules.front().offloaded);
  EXPECT_FALSE(p.rules.back().offloaded);
  EXPECT_NE(p.rules.back().punt_reason.find("budget"), std::string::npos);
  uint64_t total = 0;
  std::vector<ActionList> so_far;
  for (const auto& list : p.action_lists) {
    total += estimated_action_insns(list, so_far);
    so_far.push_back(list);
  }
  EXPECT_LE(total, kActionInsnBudget);
  // The shared csum is paid for once: a second list with the same flags costs far less.
  EXPECT_GT(estimated_action_insns(p.action_lists[0], {}),
            estimated_action_insns(p.action_lists[0], {p.action_lists[1]}) + 20000);
}

}  // namespace
}  // namespace tc2xdp::plan
