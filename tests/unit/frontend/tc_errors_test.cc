// Bad input is reported as file:line:col with the offending token and a hint.
#include <gtest/gtest.h>

#include "tc_test_util.h"

namespace tc2xdp::frontend::tc {
namespace {

using testing::parse_error;

constexpr const char* kHead = "filter add dev eth0 ingress protocol ip flower ";  // 47 chars

// Column of `needle`'s first occurrence in `line`, 1-based.
int col(const std::string& line, const std::string& needle) {
  return static_cast<int>(line.find(needle)) + 1;
}

void expect_error(const std::string& line, const std::string& token,
                  const std::string& message_part, int line_no = 1) {
  const Diagnostic d = parse_error(line);
  EXPECT_EQ(d.location.file, "t.tc");
  EXPECT_EQ(d.location.line, line_no);
  EXPECT_EQ(d.location.column, col(line.substr(line.rfind('\n') + 1), token)) << line;
  EXPECT_EQ(d.token, token) << line;
  EXPECT_NE(d.message.find(message_part), std::string::npos) << d.message;
  EXPECT_FALSE(d.hint.empty()) << line;
  EXPECT_NE(format_diagnostic(d).find("t.tc:" + std::to_string(line_no) + ":"), std::string::npos);
}

TEST(TcErrors, UnknownKey) {
  expect_error(std::string(kHead) + "dst_ipp 1.2.3.4", "dst_ipp", "unknown flower key");
}

TEST(TcErrors, UnknownAction) {
  expect_error(std::string(kHead) + "action frobnicate", "frobnicate", "unknown action");
}

TEST(TcErrors, UnsupportedActionAndKey) {
  expect_error(std::string(kHead) + "action nat ingress 1.1.1.1 2.2.2.2", "nat", "not supported");
  expect_error(std::string(kHead) + "ct_label 1", "ct_label", "not supported");
}

TEST(TcErrors, BadAddress) {
  expect_error(std::string(kHead) + "dst_ip 10.0.0.300", "10.0.0.300", "invalid address");
  expect_error(std::string(kHead) + "src_mac 00:11:22:33:44:zz", "00:11:22:33:44:zz",
               "invalid MAC");
}

TEST(TcErrors, WrongFamilyAddress) {
  expect_error(std::string(kHead) + "dst_ip 2001::1", "2001::1", "IPv6 address");
}

TEST(TcErrors, PrefixOutOfRange) {
  expect_error(std::string(kHead) + "dst_ip 10.0.0.0/33", "10.0.0.0/33", "invalid address");
}

TEST(TcErrors, ValueOutOfRange) {
  expect_error("filter add dev eth0 ingress protocol 802.1q flower vlan_id 4096", "4096",
               "invalid vlan_id");
  expect_error(std::string(kHead) + "ip_proto tcp dst_port 65536", "65536", "invalid port");
  expect_error(std::string(kHead) + "ip_ttl 256", "256", "invalid ip_ttl");
  expect_error("filter add dev eth0 ingress pref 70000 protocol ip flower", "70000",
               "invalid pref");
}

TEST(TcErrors, PortRangeMinNotBelowMax) {
  expect_error(std::string(kHead) + "ip_proto tcp dst_port 200-100", "200-100", "max not greater");
  expect_error(std::string(kHead) + "ip_proto udp src_port 80-80", "80-80", "max not greater");
}

TEST(TcErrors, PortsNeedL4Protocol) {
  expect_error(std::string(kHead) + "dst_port 80", "dst_port", "needs ip_proto tcp, udp or sctp");
  expect_error(std::string(kHead) + "ip_proto icmp src_port 80", "src_port", "needs ip_proto");
  // tc checks in order: the key must come after its ip_proto.
  expect_error(std::string(kHead) + "dst_port 80 ip_proto tcp", "dst_port", "needs ip_proto");
}

TEST(TcErrors, TcpFlagsNeedTcp) {
  expect_error(std::string(kHead) + "ip_proto udp tcp_flags 0x2", "tcp_flags",
               "needs ip_proto tcp");
}

TEST(TcErrors, IpFieldsNeedIpProtocol) {
  const std::string arp = "filter add dev eth0 ingress protocol arp flower ";
  expect_error(arp + "dst_ip 10.0.0.1", "dst_ip", "needs protocol ip or ipv6");
  expect_error(arp + "ip_proto tcp", "ip_proto", "needs protocol ip or ipv6");
  expect_error("filter add dev eth0 ingress protocol all flower ip_tos 4", "ip_tos",
               "needs protocol ip");
  expect_error("filter add dev eth0 ingress protocol 802.1q flower src_ip 1.1.1.1", "src_ip",
               "needs protocol ip");
}

TEST(TcErrors, IcmpTypeNeedsIcmp) {
  expect_error(std::string(kHead) + "type 8", "type", "needs ip_proto icmp");
  expect_error(std::string(kHead) + "ip_proto tcp code 0", "code", "needs ip_proto icmp");
  expect_error("filter add dev eth0 ingress protocol ipv6 flower ip_proto icmp", "icmp",
               "does not fit");
}

TEST(TcErrors, OtherPrerequisites) {
  expect_error(std::string(kHead) + "vlan_id 5", "vlan_id", "needs protocol 802.1q");
  expect_error("filter add dev eth0 ingress protocol 802.1q flower vlan_ethtype ip cvlan_id 5",
               "cvlan_id", "needs vlan_ethtype 802.1q");
  expect_error(std::string(kHead) + "arp_op request", "arp_op", "needs protocol arp");
  expect_error(std::string(kHead) + "mpls_label 5", "mpls_label", "needs protocol mpls");
}

TEST(TcErrors, MissingArgument) {
  const std::string line = std::string(kHead) + "dst_ip";
  const Diagnostic d = parse_error(line);
  EXPECT_EQ(d.location.line, 1);
  EXPECT_EQ(d.location.column, static_cast<int>(line.size()) + 1);  // just past the line
  EXPECT_EQ(d.token, "dst_ip");
  EXPECT_NE(d.message.find("missing"), std::string::npos);
  EXPECT_FALSE(d.hint.empty());
}

TEST(TcErrors, TrailingGarbage) {
  expect_error(std::string(kHead) + "action drop garbage", "garbage", "unknown action");
  expect_error(std::string(kHead) + "ip_proto tcp extra", "extra", "unknown flower key");
}

TEST(TcErrors, MissingAttachPointAndKind) {
  expect_error("filter add dev eth0 protocol ip flower", "flower", "missing attach point");
  expect_error("filter add dev eth0 ingress protocol ip u32 match", "u32", "not supported");
}

TEST(TcErrors, ActionArguments) {
  expect_error(std::string(kHead) + "action mirred egress redirect", "redirect", "needs 'dev DEV'");
  expect_error(std::string(kHead) + "action vlan push", "push", "needs 'id N'");
  expect_error(std::string(kHead) + "action vlan push id 4095", "4095", "invalid vlan id");
  expect_error(std::string(kHead) + "action pedit munge ip ttl decrement", "decrement",
               "needs 'pedit ex'");
  expect_error(std::string(kHead) + "action police rate 1mbit", "rate", "needs burst");
  // m_police.c: the burst must fit 2^32 psched ticks at the rate; a cell is a power of two.
  expect_error(std::string(kHead) + "action police rate 8bit burst 275", "275",
               "burst out of range");
  expect_error(std::string(kHead) + "action police rate 1mbit burst 10k/3", "10k/3",
               "invalid burst cell");
  expect_error(std::string(kHead) + "action goto 5", "5", "'goto' needs 'chain N'");
  expect_error(std::string(kHead) + "action tunnel_key set id 5", "set", "needs src_ip and dst_ip");
  const Diagnostic ct = parse_error(std::string(kHead) + "action ct clear commit");
  EXPECT_EQ(ct.location.column, 55);
  EXPECT_EQ(ct.token, "ct");
  EXPECT_NE(ct.message.find("clear can only be used alone"), std::string::npos);
}

TEST(TcErrors, EveryBadLineIsReportedAndTheBatchIsRejected) {
  Diagnostics d;
  const char* text =
      "filter add dev eth0 ingress protocol ip flower dst_ip 10.0.0.1 action drop\n"
      "filter add dev eth0 ingress protocol ip flower bogus\n"
      "\n"
      "filter add dev eth0 ingress protocol ip flower ip_proto tcp dst_port 9-1\n";
  parse_batch(text, "rules.tc", d);
  ASSERT_EQ(d.error_count(), 2u);
  EXPECT_EQ(d.items()[0].location.line, 2);
  EXPECT_EQ(d.items()[1].location.line, 4);
  EXPECT_EQ(format_diagnostic(d.items()[0]).substr(0, 21), "rules.tc:2:48: error:");
  ir::RuleSet set;
  Diagnostics d2;
  EXPECT_FALSE(load_rules(text, "rules.tc", set, d2));
  EXPECT_TRUE(set.empty());
}

TEST(TcErrors, DuplicateRuleViaLoadRules) {
  const char* text =
      "filter add dev eth0 ingress pref 10 protocol ip flower dst_ip 10.0.0.1 action drop\n"
      "# same key and mask again\n"
      "filter add dev eth0 ingress pref 10 protocol ip flower dst_ip 10.0.0.1 action pass\n";
  ir::RuleSet set;
  Diagnostics d;
  EXPECT_FALSE(load_rules(text, "rules.tc", set, d));
  ASSERT_TRUE(d.has_errors());
  const Diagnostic& e = d.items().back();
  EXPECT_EQ(e.location.file, "rules.tc");
  EXPECT_EQ(e.location.line, 3);
  EXPECT_EQ(e.location.column, 1);
  EXPECT_NE(e.message.find("same match"), std::string::npos);
  EXPECT_FALSE(e.hint.empty());
  EXPECT_TRUE(set.empty());
}

TEST(TcErrors, ColumnsFollowContinuationLines) {
  Diagnostics d;
  parse_batch("filter add dev eth0 ingress \\\n  protocol ip flower \\\n    bogus_key 1\n", "c.tc",
              d);
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.items()[0].location.line, 3);
  EXPECT_EQ(d.items()[0].location.column, 5);
  EXPECT_EQ(d.items()[0].token, "bogus_key");
}

TEST(TcErrors, UnterminatedQuoteAndDanglingContinuation) {
  Diagnostics d;
  parse_batch("filter add dev \"eth0 ingress\n", "q.tc", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items()[0].location.column, 16);
  Diagnostics d2;
  parse_batch("filter add dev eth0 ingress \\\n", "q.tc", d2);
  EXPECT_TRUE(d2.has_errors());
}

}  // namespace
}  // namespace tc2xdp::frontend::tc
