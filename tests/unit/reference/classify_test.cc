// The classification loop: pref order, protocol skip, continue/goto/reclassify, loop bounds,
// punts and counters.
#include <gtest/gtest.h>

#include "reference_test_util.h"

namespace tc2xdp::reference {
namespace {

using namespace testing;
using tc2xdp::testing::ip4;
using tc2xdp::testing::Ipv4Opts;
using tc2xdp::testing::TcpOpts;

std::vector<uint8_t> tcp_frame(uint16_t dport = 80) {
  return FrameBuilder().eth().ipv4().tcp({.dport = dport}).build();
}

TEST(Classify, AscendingPrefWinsWhateverTheInsertionOrder) {
  auto rules = rules_from(
      "pref 20 protocol ip flower ip_proto tcp action drop\n"
      "pref 10 protocol ip flower dst_ip 10.0.0.2 action pass\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_EQ(decided_pref(out), 10u);
  ASSERT_EQ(out.hits.size(), 1u);
}

TEST(Classify, MissInEveryRuleIsPass) {
  auto rules = rules_from("pref 10 protocol ip flower dst_ip 192.0.2.1 action drop\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_FALSE(out.matched);
  EXPECT_TRUE(out.hits.empty());
}

TEST(Classify, ProtocolOfAnotherFamilySkipsThePref) {
  auto rules = rules_from(
      "pref 10 protocol ipv6 flower action drop\n"
      "pref 20 protocol arp flower action drop\n"
      "pref 30 protocol all flower action pass\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(decided_pref(out), 30u);
  EXPECT_EQ(out.verdict, Verdict::kPass);
}

TEST(Classify, TaggedFrameHasTheOuterTpidAsProtocol) {
  auto rules = rules_from(
      "pref 10 protocol ip flower action drop\n"
      "pref 20 protocol 802.1q flower vlan_id 5 action pass\n");
  auto frame = FrameBuilder().eth().vlan(5).ipv4().tcp().build();
  auto out = run(rules, frame);
  EXPECT_EQ(decided_pref(out), 20u);
}

TEST(Classify, ContinueGoesToTheNextPrefNotTheNextFilterOfTheSamePref) {
  // Two filters in pref 10 (different masks): the first selected continues, so the second filter
  // of pref 10 is never tried; pref 20 decides.
  auto rules = rules_from(
      "pref 10 handle 1 protocol ip flower ip_proto tcp action continue\n"
      "pref 10 handle 2 protocol ip flower dst_ip 10.0.0.2 action drop\n"
      "pref 20 protocol ip flower action pass\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_EQ(decided_pref(out), 20u);
  ASSERT_EQ(out.hits.size(), 2u);
  EXPECT_EQ(out.hits[0].handle, 1u);
}

TEST(Classify, MasksAreTriedInCreationOrderWithinAPref) {
  auto rules = rules_from(
      "pref 10 handle 1 protocol ip flower dst_ip 10.0.0.0/8 action pass\n"
      "pref 10 handle 2 protocol ip flower dst_ip 10.0.0.2 action drop\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_EQ(out.matched->handle, 1u);
}

TEST(Classify, GotoChainRestartsInThatChain) {
  auto rules = rules_from(
      "chain 0 pref 10 protocol ip flower ip_proto tcp action goto chain 5\n"
      "chain 0 pref 20 protocol ip flower action pass\n"
      "chain 5 pref 1 protocol ip flower ip_proto tcp dst_port 80 action drop\n");
  EXPECT_EQ(run(rules, tcp_frame(80)).verdict, Verdict::kDrop);
  auto miss = run(rules, tcp_frame(81));  // chain 5 misses: pass, no rule; chain 0 is not resumed
  EXPECT_EQ(miss.verdict, Verdict::kPass);
  EXPECT_FALSE(miss.matched);
  EXPECT_EQ(miss.hits.size(), 1u);
}

TEST(Classify, GotoLoopIsDroppedAfterTheBound) {
  auto rules = rules_from(
      "chain 0 pref 1 protocol all flower action goto chain 1\n"
      "chain 1 pref 1 protocol all flower action goto chain 0\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kDrop);
  EXPECT_EQ(out.hits.size(), 17u);  // 16 restarts followed, the 17th goto drops
}

TEST(Classify, GotoChainsUpToTheBoundAreFollowed) {
  std::string text;
  for (int c = 0; c < 16; ++c)
    text += "chain " + std::to_string(c) + " pref 1 protocol all flower action goto chain " +
            std::to_string(c + 1) + "\n";
  text += "chain 16 pref 1 protocol all flower action drop\n";
  auto rules = rules_from(text);
  EXPECT_EQ(run(rules, tcp_frame()).verdict, Verdict::kDrop);
  EXPECT_EQ(run(rules, tcp_frame()).matched->chain, 16u);
  Options tight = options();
  tight.max_chain_hops = 15;
  auto out = run(rules, tcp_frame(), tight);
  EXPECT_EQ(out.verdict, Verdict::kDrop);
  EXPECT_EQ(out.matched->chain, 15u);  // the goto that exceeded the bound
}

TEST(Classify, ReclassifyRestartsAtChainZeroAndIsBounded) {
  auto rules = rules_from("pref 1 protocol all flower action reclassify\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kDrop);
  EXPECT_EQ(out.hits.size(), 17u);
}

TEST(Classify, PipeRunsTheNextActionAndOffTheEndIsPass) {
  auto rules = rules_from("pref 1 protocol all flower action pipe action drop\n");
  EXPECT_EQ(run(rules, tcp_frame()).verdict, Verdict::kDrop);
  auto end = rules_from(
      "pref 1 protocol all flower action pipe\npref 2 protocol all flower action drop\n");
  auto out = run(end, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kPass);  // TC_ACT_PIPE ends classification like ok
  EXPECT_EQ(decided_pref(out), 1u);
}

TEST(Classify, JumpRestartsTheListAndSkipsItsFirstActions) {
  auto gact = [](ir::ControlKind k, uint32_t arg = 0) {
    ir::Action a;
    a.body = ir::GactAction{{k, arg}};
    a.control = {k, arg};
    return a;
  };
  auto verdict_with_jump = [&](uint32_t n) {
    ir::RuleSet rules;
    ir::Rule r;
    r.pref = 1;
    // [0] jump n, [1] drop, [2] pass
    r.actions = {gact(ir::ControlKind::kJump, n), gact(ir::ControlKind::kDrop),
                 gact(ir::ControlKind::kOk)};
    Diagnostics d;
    EXPECT_TRUE(rules.apply({ir::CommandOp::kAdd, r}, d)) << d.to_string();
    return run(rules, tcp_frame()).verdict;
  };
  EXPECT_EQ(verdict_with_jump(2), Verdict::kPass);  // resumes at index 2
  EXPECT_EQ(verdict_with_jump(1), Verdict::kDrop);  // resumes at index 1
  EXPECT_EQ(verdict_with_jump(9), Verdict::kPass);  // past the end: faulty opcode, ok
  EXPECT_EQ(verdict_with_jump(0), Verdict::kPass);  // jump 0: faulty opcode, ok
}

TEST(Classify, NoActionIsPass) {
  auto rules = rules_from(
      "pref 1 protocol ip flower ip_proto tcp\npref 2 protocol all flower action drop\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_EQ(decided_pref(out), 1u);
}

TEST(Classify, PuntedRuleEndsWithPassWhenItMatches) {
  auto rules = rules_from(
      "pref 1 protocol ip flower ip_proto tcp dst_port 80 action drop\n"
      "pref 2 protocol ip flower action drop\n");
  Options o = options();
  o.is_punted = [](const ir::Rule& r) { return r.pref == 1; };
  auto out = run(rules, tcp_frame(80), o);
  EXPECT_EQ(out.verdict, Verdict::kPass);
  EXPECT_TRUE(out.punted);
  EXPECT_EQ(decided_pref(out), 1u);
  EXPECT_EQ(out.output, tcp_frame(80));
  EXPECT_EQ(run(rules, tcp_frame(81), o).verdict, Verdict::kDrop);  // its miss goes on
}

TEST(Classify, EvaluatedMatchReplacesTheRulesMatch) {
  auto rules = rules_from("pref 1 protocol ip flower ip_proto tcp dst_port 81 action drop\n");
  Options o = options();
  o.evaluated_match = [](const ir::Rule& r) {
    ir::Match m = r.match;
    m.clear(ir::Field::kDstPort);
    return m;
  };
  EXPECT_EQ(run(rules, tcp_frame(80), o).verdict, Verdict::kDrop);
}

TEST(Classify, SkipSwFilterIsNotClassifiedInSoftware) {
  auto rules = rules_from(
      "pref 1 protocol ip flower skip_sw ip_proto tcp dst_port 80 action drop\n"
      "pref 2 protocol ip flower action pass\n");
  auto out = run(rules, tcp_frame(80));
  EXPECT_EQ(decided_pref(out), 2u);
}

TEST(Classify, MirredEgressRedirect) {
  auto rules = rules_from("pref 1 protocol all flower action mirred egress redirect dev eth2\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kRedirect);
  EXPECT_EQ(out.redirect_ifindex, 3u);
  auto gone = rules_from("pref 1 protocol all flower action mirred egress redirect dev nosuch0\n");
  EXPECT_EQ(run(gone, tcp_frame()).verdict, Verdict::kDrop);  // target device is gone
}

TEST(Classify, MirrorSendsACopyOfTheFrameAsItWasThen) {
  // The copy leaves before the rewrite; the frame itself goes on (pipe) and is dropped.
  auto rules = rules_from(
      "pref 1 protocol all flower action mirred ingress mirror dev eth2 pipe "
      "action pedit ex munge eth dst set 02:00:00:00:00:09 pipe action mirred egress mirror dev "
      "eth1 pipe action mirred egress mirror dev nosuch0 action drop\n");
  const auto frame = tcp_frame();
  auto out = run(rules, frame);
  EXPECT_EQ(out.verdict, Verdict::kDrop);
  EXPECT_FALSE(out.punted);
  ASSERT_EQ(out.copies.size(), 2u);  // a copy to a device that is gone is skipped
  EXPECT_EQ(out.copies[0].ifindex, 3u);
  EXPECT_TRUE(out.copies[0].ingress);
  EXPECT_EQ(out.copies[0].bytes, frame);
  EXPECT_EQ(out.copies[1].ifindex, 2u);
  EXPECT_FALSE(out.copies[1].ingress);
  EXPECT_EQ(out.copies[1].bytes[5], 0x09);
}

TEST(Classify, ARedirectToAGoneDeviceDropsEvenIfItWouldGoOn) {
  auto rules = rules_from(
      "pref 1 protocol all flower action mirred egress redirect dev nosuch0 pipe action pass\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(out.verdict, Verdict::kDrop);
  EXPECT_TRUE(out.copies.empty());
}

TEST(Classify, IndevMatchesTheIngressInterface) {
  auto rules = rules_from(
      "pref 1 protocol all flower indev eth1 action drop\n"
      "pref 2 protocol all flower indev nosuch0 action drop\n");
  EXPECT_EQ(run(rules, tcp_frame(), options(), 2).verdict, Verdict::kDrop);
  EXPECT_EQ(run(rules, tcp_frame(), options(), 1).verdict, Verdict::kPass);
}

TEST(Classify, LaterFiltersSeeTheRewrittenFrame) {
  // vlan push then continue: the frame is now tagged, so protocol ip no longer applies.
  auto rules = rules_from(
      "pref 1 protocol ip flower action vlan push id 7 continue\n"
      "pref 2 protocol ip flower action drop\n"
      "pref 3 protocol 802.1q flower vlan_id 7 action pass\n");
  auto out = run(rules, tcp_frame());
  EXPECT_EQ(decided_pref(out), 3u);
  EXPECT_EQ(out.output.size(), tcp_frame().size() + 4);
}

TEST(Classify, RuntFramesAreNeverClassified) {
  auto rules = rules_from("pref 1 protocol all flower action drop\n");
  for (size_t n = 0; n < 14; ++n) {
    std::vector<uint8_t> f(n, 0xff);
    auto out = run(rules, f);
    EXPECT_EQ(out.verdict, Verdict::kPass) << n;
    EXPECT_FALSE(out.matched);
  }
  EXPECT_EQ(run(rules, std::vector<uint8_t>(14, 0)).verdict, Verdict::kDrop);
}

TEST(Classify, ExplanationNamesTheSteps) {
  auto rules = rules_from("pref 10 protocol ip flower ip_proto tcp action drop\n");
  auto out = run(rules, tcp_frame());
  EXPECT_NE(out.explanation.find("match chain 0 pref 10"), std::string::npos) << out.explanation;
  EXPECT_NE(out.explanation.find("XDP_DROP"), std::string::npos);
  EXPECT_STREQ(verdict_name(Verdict::kRedirect), "XDP_REDIRECT");
}

}  // namespace
}  // namespace tc2xdp::reference
