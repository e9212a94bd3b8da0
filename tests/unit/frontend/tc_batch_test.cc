// Batch syntax, command identity, names and the values the parser stores.
#include <gtest/gtest.h>

#include "tc_test_util.h"

namespace tc2xdp::frontend::tc {
namespace {

using ir::ControlKind;
using ir::Field;
using testing::parse_ok;

TEST(TcBatch, CommentsBlankLinesAndContinuations) {
  const char* text =
      "# a tc batch file\n"
      "\n"
      "qdisc add dev eth0 clsact\n"
      "filter add dev eth0 ingress pref 10 \\\n"
      "   protocol ip flower dst_ip 10.0.0.1 # trailing comment\n"
      "   \t\n"
      "tc filter add dev eth0 ingress pref 20 protocol ip flower ip_proto tcp dst_port 80 action "
      "drop\n"
      "filter del dev eth0 ingress pref 20\n";
  Diagnostics d;
  auto cmds = parse_batch(text, "b.tc", d);
  ASSERT_FALSE(d.has_errors()) << d.to_string();
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[0].rule.origin.line, 4);
  EXPECT_EQ(cmds[0].rule.pref, 10u);
  EXPECT_TRUE(cmds[0].rule.match.has(Field::kIpv4Dst));
  EXPECT_EQ(cmds[1].rule.origin.line, 7);
  EXPECT_EQ(cmds[2].op, ir::CommandOp::kDelete);
  EXPECT_EQ(cmds[2].rule.pref, 20u);
}

TEST(TcBatch, CommentAfterBackslashEndsTheCommand) {
  // tc cuts the '#' and the newline with it, so this is not a continuation.
  Diagnostics d;
  auto cmds = parse_batch(
      "filter add dev eth0 ingress protocol ip flower \\ # no\nfilter add "
      "dev eth0 ingress protocol ip flower",
      "b.tc", d);
  EXPECT_TRUE(d.has_errors());  // the lone "\" is an unknown key
}

TEST(TcBatch, QuotedWords) {
  const ir::Rule r = parse_ok("filter add dev 'eth0' ingress protocol ip flower indev \"eth1\"");
  EXPECT_EQ(r.dev, "eth0");
  EXPECT_EQ(r.match.indev, "eth1");
}

TEST(TcBatch, CommandsAndIdentity) {
  Diagnostics d;
  auto cmds = parse_batch(
      "filter replace dev eth0 egress chain 2 prio 5 handle 0x10 protocol ipv6 flower\n"
      "filter change dev eth0 parent ffff:fff2 pref 5 handle 3 protocol ip flower\n"
      "filter delete dev eth0 ingress\n"
      "filter add dev eth0 ingress flower\n",
      "b.tc", d);
  ASSERT_FALSE(d.has_errors()) << d.to_string();
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[0].op, ir::CommandOp::kReplace);
  EXPECT_EQ(cmds[0].rule.hook, ir::Hook::kEgress);
  EXPECT_EQ(cmds[0].rule.chain, 2u);
  EXPECT_EQ(cmds[0].rule.pref, 5u);
  EXPECT_EQ(cmds[0].rule.handle, 0x10u);
  EXPECT_EQ(cmds[0].rule.protocol, 0x86dd);
  EXPECT_EQ(cmds[1].op, ir::CommandOp::kChange);
  EXPECT_EQ(cmds[1].rule.hook, ir::Hook::kIngress);
  EXPECT_EQ(cmds[2].op, ir::CommandOp::kDelete);
  EXPECT_EQ(cmds[3].rule.pref, 0u);  // RuleSet::apply picks tc's default
  EXPECT_EQ(cmds[3].rule.handle, 0u);
  EXPECT_EQ(cmds[3].rule.protocol, ir::kEthPAll);
}

TEST(TcBatch, ParseWordsGivesColumnsInTheJoinedLine) {
  Diagnostics d;
  auto cmds = parse_words({"filter", "add", "dev", "eth0", "ingress", "protocol", "ip", "flower",
                           "dst_ip", "1.2.3.999"},
                          "<cmdline>", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items()[0].location.file, "<cmdline>");
  EXPECT_EQ(d.items()[0].location.column, 55);
  auto ok = parse_words({"filter", "add", "dev", "eth0", "ingress", "protocol", "ip", "flower"},
                        "<cmdline>", d);
  EXPECT_EQ(ok.size(), 1u);
}

TEST(TcBatch, ProtocolNames) {
  const std::pair<const char*, uint16_t> names[] = {
      {"ip", 0x0800},     {"ipv6", 0x86dd},    {"arp", 0x0806},     {"802.1q", 0x8100},
      {"802.1Q", 0x8100}, {"802.1ad", 0x88a8}, {"mpls_uc", 0x8847}, {"mpls_mc", 0x8848},
      {"all", 0x0003},    {"0x88b5", 0x88b5},  {"2048", 0x0800},    {"rarp", 0x8035},
  };
  for (auto [name, type] : names) {
    const ir::Rule r =
        parse_ok(std::string("filter add dev eth0 ingress protocol ") + name + " flower");
    EXPECT_EQ(r.protocol, type) << name;
  }
  EXPECT_EQ(ethertype_name(0x0800), "ip");
  EXPECT_EQ(ethertype_name(0x86dd), "ipv6");
  EXPECT_EQ(ethertype_name(0x8100), "802.1q");
  EXPECT_EQ(ethertype_name(0x88a8), "802.1ad");
  EXPECT_EQ(ethertype_name(0x8847), "mpls_uc");
  EXPECT_EQ(ethertype_name(0x0003), "all");
  EXPECT_EQ(ethertype_name(0x1234), "0x1234");
}

TEST(TcValues, NetworkOrderLeftAlignedAndCanonical) {
  const ir::Rule r = parse_ok(
      "filter add dev eth0 ingress protocol ip flower src_ip 10.1.2.3/8 ip_proto tcp "
      "dst_port 0x1234/0xff00 ip_tos 0x1f/0xf0");
  const auto* src = r.match.get(Field::kIpv4Src);
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->value[0], 10);
  EXPECT_EQ(src->value[1], 0);  // value &= mask
  EXPECT_EQ(src->mask[0], 0xff);
  EXPECT_EQ(src->mask[1], 0);
  const auto* port = r.match.get(Field::kDstPort);
  EXPECT_EQ(port->value[0], 0x12);
  EXPECT_EQ(port->value[1], 0x00);
  EXPECT_EQ(port->mask_u64(2), 0xff00u);
  EXPECT_EQ(r.match.get(Field::kIpTos)->value_u64(1), 0x10u);
  EXPECT_EQ(r.match.get(Field::kIpProto)->value_u64(1), 6u);
}

TEST(TcValues, SrcIpFieldFollowsTheEffectiveEthType) {
  const ir::Rule v6 = parse_ok(
      "filter add dev eth0 ingress protocol 802.1q flower vlan_ethtype ipv6 src_ip 2001:db8::1");
  EXPECT_TRUE(v6.match.has(Field::kIpv6Src));
  EXPECT_FALSE(v6.match.has(Field::kIpv4Src));
  EXPECT_EQ(v6.match.get(Field::kIpv6Src)->value[0], 0x20);
  EXPECT_EQ(v6.match.get(Field::kIpv6Src)->value[15], 0x01);
  const ir::Rule qinq = parse_ok(
      "filter add dev eth0 ingress protocol 802.1ad flower vlan_ethtype 802.1q cvlan_ethtype ip "
      "dst_ip 1.2.3.4");
  EXPECT_TRUE(qinq.match.has(Field::kIpv4Dst));
  EXPECT_EQ(ir::effective_eth_type(qinq), 0x0800);
}

TEST(TcValues, IproutesNumberBases) {
  // ip_proto numbers are hex in tc; ip_ttl masks are hex; ICMP values decimal.
  const ir::Rule r =
      parse_ok("filter add dev eth0 ingress protocol ip flower ip_proto 11 ip_ttl 10/f0");
  EXPECT_EQ(r.match.get(Field::kIpProto)->value_u64(1), 0x11u);
  EXPECT_EQ(r.match.get(Field::kIpTtl)->mask_u64(1), 0xf0u);
  EXPECT_EQ(r.match.get(Field::kIpTtl)->value_u64(1), 0u);  // 10 & 0xf0
}

TEST(TcValues, AbbreviationsAsIproute2) {
  const ir::Rule r =
      parse_ok("filter add dev eth0 ingress prio 3 proto ip flower ip_p t dst_po 80 act dr");
  EXPECT_EQ(r.pref, 3u);
  EXPECT_EQ(r.match.get(Field::kIpProto)->value_u64(1), 6u);
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].control.kind, ControlKind::kDrop);
}

TEST(TcValues, PortRangeAndFlags) {
  const ir::Rule r = parse_ok(
      "filter add dev eth0 ingress protocol ip flower ip_proto udp src_port 100-200 "
      "ip_flags frag/nofirstfrag ct_state +trk-est");
  ASSERT_TRUE(r.match.src_port_range);
  EXPECT_EQ(r.match.src_port_range->min, 100);
  EXPECT_EQ(r.match.src_port_range->max, 200);
  const auto* flags = r.match.get(Field::kIpFlags);
  EXPECT_EQ(flags->value_u64(1), ir::kIpFlagIsFragment);
  EXPECT_EQ(flags->mask_u64(1), ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag);
  EXPECT_EQ(r.match.get(Field::kCtState)->value_u64(2), ir::kCtTracked);
  EXPECT_EQ(r.match.get(Field::kCtState)->mask_u64(2), ir::kCtTracked | ir::kCtEstablished);
}

TEST(TcValues, MplsForms) {
  const ir::Rule old_form =
      parse_ok("filter add dev eth0 ingress protocol mpls_uc flower mpls_label 77 mpls_bos 1");
  ASSERT_EQ(old_form.match.mpls.size(), 1u);
  EXPECT_EQ(old_form.match.mpls[0].depth, 1);
  EXPECT_EQ(old_form.match.mpls[0].label, 77u);
  EXPECT_FALSE(old_form.match.mpls_lse_syntax);
  const ir::Rule lse = parse_ok(
      "filter add dev eth0 ingress protocol mpls_uc flower mpls lse depth 3 ttl 4 lse depth 1 "
      "label 9");
  ASSERT_EQ(lse.match.mpls.size(), 2u);
  EXPECT_EQ(lse.match.mpls[0].depth, 1);  // sorted by depth
  EXPECT_EQ(lse.match.mpls[1].ttl, 4);
  EXPECT_TRUE(lse.match.mpls_lse_syntax);
}

TEST(TcValues, DefaultActionControlsFollowIproute2) {
  const ir::Rule r = parse_ok(
      "filter add dev eth0 ingress protocol ip flower action mirred egress redirect dev a "
      "action mirred egress mirror dev b action vlan pop action pedit ex munge ip ttl decrement "
      "action csum iph action tunnel_key unset action police rate 1mbit burst 1k "
      "action skbedit mark 1 action ct action drop");
  ASSERT_EQ(r.actions.size(), 10u);
  const ControlKind expected[] = {ControlKind::kStolen, ControlKind::kPipe, ControlKind::kPipe,
                                  ControlKind::kOk,     ControlKind::kOk,   ControlKind::kPipe,
                                  ControlKind::kOk,     ControlKind::kPipe, ControlKind::kPipe,
                                  ControlKind::kDrop};
  for (size_t i = 0; i < r.actions.size(); ++i)
    EXPECT_EQ(r.actions[i].control.kind, expected[i]) << i;
  const auto& police = std::get<ir::PoliceAction>(r.actions[6].body);
  EXPECT_EQ(police.exceed.kind, ControlKind::kReclassify);
  EXPECT_EQ(police.rate_bytes_per_sec, 125000u);
  EXPECT_EQ(police.burst_bytes, 1024u);
}

TEST(TcValues, ActionsChainWithoutTheActionWord) {
  // tc reads the next kind right after an action's own words.
  const ir::Rule r = parse_ok(
      "filter add dev eth0 ingress protocol ip flower action vlan pop pipe mirred egress redirect "
      "dev eth1");
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ir::MirredAction>(r.actions[1].body));
  // A redirect takes no verb, so a following verb is a new gact action.
  const ir::Rule g = parse_ok(
      "filter add dev eth0 ingress protocol ip flower action mirred egress redirect dev eth1 pipe");
  ASSERT_EQ(g.actions.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ir::GactAction>(g.actions[1].body));
}

TEST(TcValues, PeditKeys) {
  const ir::Rule r = parse_ok(
      "filter add dev eth0 ingress protocol ip flower action pedit ex munge ip ttl decrement "
      "munge eth dst set 00:11:22:33:44:55 munge offset 12 u16 set 0x1234 pipe index 4");
  const auto& p = std::get<ir::PeditAction>(r.actions[0].body);
  ASSERT_EQ(p.keys.size(), 3u);
  EXPECT_TRUE(p.extended);
  EXPECT_EQ(p.keys[0].header, ir::PeditKey::Header::kIp4);
  EXPECT_EQ(p.keys[0].field, "ttl");
  EXPECT_EQ(p.keys[0].offset, 8u);
  EXPECT_EQ(p.keys[0].op, ir::PeditKey::Op::kDecrement);
  EXPECT_EQ(p.keys[1].width, 6);
  EXPECT_EQ(p.keys[1].value[5], 0x55);
  EXPECT_EQ(p.keys[2].header, ir::PeditKey::Header::kRaw);
  EXPECT_EQ(p.keys[2].value[0], 0x12);
  EXPECT_EQ(p.keys[2].value[1], 0x34);
  EXPECT_EQ(r.actions[0].control.kind, ControlKind::kPipe);
  EXPECT_EQ(r.actions[0].index, 4u);
}

TEST(TcPrint, RuleSetPrintsOneLoadableLinePerRule) {
  const char* text =
      "filter add dev eth0 ingress protocol ip flower dst_ip 10.0.0.1 action drop\n"
      "filter add dev eth0 ingress protocol ip flower dst_ip 10.0.0.2 action pass\n";
  ir::RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(load_rules(text, "p.tc", set, d)) << d.to_string();
  const std::string printed = print_rule_set(set);
  EXPECT_NE(printed.find("pref 49151 handle 0x1 protocol ip flower dst_ip 10.0.0.2 action pass"),
            std::string::npos)
      << printed;
  ir::RuleSet again;
  ASSERT_TRUE(load_rules(printed, "p2.tc", again, d)) << d.to_string();
  ASSERT_EQ(again.size(), set.size());
  for (size_t i = 0; i < set.size(); ++i)
    EXPECT_TRUE(set.rules()[i].same_filter(again.rules()[i])) << i;
}

}  // namespace
}  // namespace tc2xdp::frontend::tc
