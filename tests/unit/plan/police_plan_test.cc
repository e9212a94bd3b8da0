// The planner and police: which verdicts compile, how lists share code while buckets stay per
// filter (or per shared index), what a drop keeps, and the reasons for punts.
#include <gtest/gtest.h>

#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

Plan plan_text(const std::string& text, ir::RuleSet& rules, PlanOptions options = {}) {
  Diagnostics diags;
  EXPECT_TRUE(frontend::tc::load_rules(text, "t.tc", rules, diags)) << diags.to_string();
  options.resolve_device = [](const std::string& dev) -> std::optional<uint32_t> {
    return dev == "veth1" ? std::optional<uint32_t>(4) : std::nullopt;
  };
  return make_plan(rules, options, diags);
}

std::string rule(int pref, const std::string& rest) {
  return "filter add dev eth0 ingress pref " + std::to_string(pref) +
         " protocol ip flower ip_proto udp dst_port " + std::to_string(pref) + " " + rest + "\n";
}

TEST(PolicePlan, OkDropAndPipeCompileOtherVerdictsArePunted) {
  ir::RuleSet rules;
  const Plan p =
      plan_text(rule(1, "action police rate 1mbit burst 10k conform-exceed drop/ok") +
                    rule(2,
                         "action police rate 1mbit burst 10k conform-exceed drop/pipe "
                         "action mirred egress redirect dev veth1") +
                    rule(3, "action police rate 1mbit burst 10k") +  // exceed reclassify
                    rule(4, "action police rate 1mbit burst 10k conform-exceed continue/ok") +
                    rule(5,
                         "action police rate 1mbit burst 10k conform-exceed drop/pipe "
                         "action continue") +
                    rule(6,
                         "action police mtu 1500 conform-exceed pass/pipe action police "
                         "pkts_rate 10 pkts_burst 5 drop"),
                rules);
  EXPECT_TRUE(p.rules[0].offloaded);
  EXPECT_TRUE(p.rules[1].offloaded);
  EXPECT_EQ(p.rules[1].terminal.kind, Terminal::Kind::kRedirect);
  EXPECT_EQ(p.rules[2].punt_reason,
            "police exceed reclassify (tc's default exceed verdict) is not offloaded: it "
            "restarts classification after the policer decided");
  EXPECT_EQ(p.rules[3].punt_reason,
            "police exceed continue is not offloaded: the policer decides in the action code, "
            "after classification");
  EXPECT_EQ(p.rules[4].punt_reason,
            "police followed by continue or goto is not offloaded: the policer decides in the "
            "action code, after classification");
  EXPECT_EQ(p.rules[5].punt_reason,
            "a second police action in one filter is not offloaded (one bucket per filter)");
  EXPECT_EQ(p.policers.size(), 2u);
}

TEST(PolicePlan, MirredCopiesAndPolice) {
  ir::RuleSet rules;
  const Plan p = plan_text(
      // A copy made before the policer decides would leave even when it drops.
      rule(1,
           "action mirred egress mirror dev veth1 pipe action police rate 1mbit burst 10k "
           "drop") +
          // Copies of a passed frame are tagged before the policer: an ok from it would copy.
          rule(2,
               "action police rate 1mbit burst 10k conform-exceed pass/pipe action mirred "
               "egress mirror dev veth1 pipe action pass") +
          // Without an ok verdict the copies happen only when the police pipes.
          rule(3,
               "action police rate 1mbit burst 10k conform-exceed drop/pipe action mirred "
               "egress mirror dev veth1 pipe action pass") +
          rule(4,
               "action police rate 1mbit burst 10k conform-exceed drop/pipe action mirred "
               "egress mirror dev veth1 pipe action drop"),
      rules);
  EXPECT_EQ(p.rules[0].punt_reason,
            "police after a mirred copy is not offloaded (the copies leave with the verdict)");
  EXPECT_EQ(p.rules[1].punt_reason,
            "a police that can pass the frame before mirred copies of a passed frame is not "
            "offloaded (the copies are tagged before the policer decides)");
  EXPECT_TRUE(p.rules[2].offloaded) << p.rules[2].punt_reason;
  EXPECT_TRUE(p.rules[3].offloaded) << p.rules[3].punt_reason;
  EXPECT_EQ(p.rules[3].terminal.kind, Terminal::Kind::kFanout);
}

TEST(PolicePlan, AMarkAfterAPoliceThatCanPassIsPunted) {
  ir::RuleSet rules;
  const Plan p = plan_text(
      rule(1,
           "action police rate 1mbit burst 10k conform-exceed ok/pipe action skbedit mark 7 "
           "pipe action pass") +
          rule(2,
               "action police rate 1mbit burst 10k conform-exceed drop/pipe action skbedit "
               "mark 7 pipe action pass") +
          rule(3, "action skbedit mark 7 pipe action police rate 1mbit burst 10k drop"),
      rules);
  EXPECT_EQ(p.rules[0].punt_reason,
            "skbedit mark after a police that can pass the frame is not offloaded (the mark is "
            "written before the policer decides)");
  EXPECT_TRUE(p.rules[1].offloaded);
  EXPECT_TRUE(p.rules[2].offloaded);
}

TEST(PolicePlan, AListOfPuntedRulesStillNamesThePoliceMaps) {
  // Index 5's filters are punted together after their list was filed (one of them is punted for
  // its match); the list is still code and needs the maps.
  ir::RuleSet rules;
  const Plan p =
      plan_text(rule(1, "action police rate 1mbit burst 10k drop index 5") +
                    "filter add dev eth0 ingress pref 2 protocol ip flower ip_proto "
                    "udp ct_state +trk action police rate 1mbit burst 10k drop index 5\n",
                rules);
  EXPECT_FALSE(p.rules[0].offloaded);
  EXPECT_TRUE(p.policers.empty());
  EXPECT_EQ(p.police_slots, p.stats_slots);
}

TEST(PolicePlan, ConfigurationIsDataFiltersShareCodeNotBuckets) {
  ir::RuleSet a, b;
  const Plan pa = plan_text(rule(1, "action police rate 1mbit burst 10k drop") +
                                rule(2, "action police rate 5mbit burst 64k mtu 9000 drop"),
                            a);
  const Plan pb = plan_text(rule(1, "action police rate 2mbit burst 20k drop") +
                                rule(2, "action police rate 5mbit burst 64k mtu 1500 drop"),
                            b);
  ASSERT_EQ(pa.action_lists.size(), 1u);  // one list of code for both filters
  ASSERT_EQ(pa.policers.size(), 2u);      // two buckets
  EXPECT_NE(pa.policers[0].id, pa.policers[1].id);
  EXPECT_EQ(pa.police_slots, pa.stats_slots);
  // Other rates, bursts and mtus: the same program, other map data.
  EXPECT_EQ(pa.shape_fingerprint, pb.shape_fingerprint);
  EXPECT_NE(pa.policers[0].config, pb.policers[0].config);
}

TEST(PolicePlan, ASharedIndexIsOneBucketAllOffloadedOrAllPunted) {
  ir::RuleSet rules;
  const std::string police = "action police rate 1mbit burst 10k drop index 4";
  const Plan p = plan_text(rule(1, police) + rule(2, police) +
                               rule(3, "action police rate 1mbit burst 10k drop index 5") +
                               rule(4, "action police rate 1mbit burst 10k index 5"),
                           rules);
  ASSERT_EQ(p.policers.size(), 1u);
  EXPECT_EQ(p.policers[0].index, 4u);
  EXPECT_EQ(p.policers[0].rules, (std::vector<size_t>{0, 1}));
  const auto& list = p.action_lists[*p.rules[0].terminal.actions];
  EXPECT_EQ(list.police_instance, p.policers[0].id);
  // Index 5 is configured differently by its filters: tc keeps the first filter's, so neither is
  // offloaded.
  EXPECT_FALSE(p.rules[2].offloaded);
  EXPECT_FALSE(p.rules[3].offloaded);
  EXPECT_NE(p.rules[2].punt_reason.find("police index 5"), std::string::npos);
}

TEST(PolicePlan, ASharedBucketStaysWithTheFilterTheLiveProgramKeptItAt) {
  ir::RuleSet rules;
  const std::string police = "action police rate 1mbit burst 10k drop index 4";
  PlanOptions options;
  options.previous_stats_slots = {{{0, 2, 1}, 7}};  // pref 2 was live at slot 7
  const Plan p = plan_text(rule(1, police) + rule(2, police), rules, options);
  ASSERT_EQ(p.policers.size(), 1u);
  EXPECT_EQ(p.policers[0].id, 7u);
}

TEST(PolicePlan, ADropAfterPoliceKeepsTheStepsUpToThePolicer) {
  ir::RuleSet rules;
  // exceed ok passes the frame with its tag; conform pipes to the drop.
  const Plan p = plan_text(rule(1,
                                "action vlan push id 5 pipe action police rate 1mbit burst "
                                "10k conform-exceed ok/pipe action pedit ex munge ip ttl set "
                                "1 pipe action drop"),
                           rules);
  ASSERT_TRUE(p.rules[0].terminal.actions);
  const ActionList& list = p.action_lists[*p.rules[0].terminal.actions];
  EXPECT_EQ(list.verdict, Terminal::Kind::kDrop);
  ASSERT_EQ(list.steps.size(), 2u);  // vlan, police; the pedit before the drop is never seen
  EXPECT_TRUE(std::holds_alternative<ir::PoliceAction>(list.steps[1]));
}

TEST(PolicePlan, PoliceRulesAreNotFiledInPlace) {
  // (TablePatcher refuses them: a bucket is configured by the whole-set path.) Here: the
  // estimate counts the police code once per list.
  ir::RuleSet rules;
  const Plan p = plan_text(rule(1, "action police rate 1mbit burst 10k drop") +
                               rule(2, "action police rate 1mbit burst 10k drop"),
                           rules);
  ir::RuleSet none;
  const Plan q = plan_text(rule(1, "action drop") + rule(2, "action drop"), none);
  EXPECT_GT(p.estimated_verifier_insns, q.estimated_verifier_insns);
}

}  // namespace
}  // namespace tc2xdp::plan
