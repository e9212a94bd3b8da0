// The ClassBench converters: nftables and OpenFlow translations of a few rules, exactly.
#include <gtest/gtest.h>

#include "classbench.h"
#include "nft.h"
#include "openflow.h"

namespace classbench {
namespace {

Filter parse(const char* line) {
  std::string error;
  auto f = parse_line(line, error);
  EXPECT_TRUE(f) << error;
  return f.value_or(Filter{});
}

// Exact host pair, exact destination port, any source port (acl1's commonest shape).
const char* kAcl =
    "@176.19.181.33/32\t90.145.23.162/32\t0 : 65535\t1550 : 1550\t0x06/0xFF\t0x0000/0x0200";
// Prefixes with host bits set, exact ports, UDP (fw1's shape).
const char* kFw =
    "@37.184.89.218/29\t37.184.85.16/29\t7648 : 7648\t1024 : 65535\t0x11/0xFF\t0x0000/0x0000";
// Only a protocol that has no ports in flower.
const char* kGre = "@0.0.0.0/0\t10.0.0.0/8\t0 : 65535\t0 : 65535\t0x2F/0xFF\t0x0000/0x0000";
// Nothing but IPv4.
const char* kAny = "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000";

TEST(Nft, RulesTranslateExactly) {
  EXPECT_EQ(to_nft_rule(parse(kAcl), 1, ActionPolicy::kDrop),
            "ip saddr 176.19.181.33 ip daddr 90.145.23.162 ip protocol tcp tcp dport 1550 "
            "counter drop");
  EXPECT_EQ(to_nft_rule(parse(kFw), 2, ActionPolicy::kAlternate),
            "ip saddr 37.184.89.216/29 ip daddr 37.184.85.16/29 ip protocol udp udp sport 7648 "
            "udp dport 1024-65535 counter accept");
  EXPECT_EQ(to_nft_rule(parse(kGre), 3, ActionPolicy::kAlternate),
            "ip daddr 10.0.0.0/8 ip protocol 47 counter drop");
  EXPECT_EQ(to_nft_rule(parse(kAny), 4, ActionPolicy::kPass), "meta protocol ip counter accept");
}

TEST(Nft, ScriptIsOneIngressChainInLineOrderWithAMissCounter) {
  NftOptions options;
  options.table = "tbx";
  options.device = "tbb";
  EXPECT_EQ(to_nft({parse(kAcl), parse(kAny)}, options),
            "table netdev tbx {\n"
            "\tchain ingress {\n"
            "\t\ttype filter hook ingress device \"tbb\" priority 0; policy accept;\n"
            "\t\tip saddr 176.19.181.33 ip daddr 90.145.23.162 ip protocol tcp tcp dport 1550 "
            "counter drop\n"
            "\t\tmeta protocol ip counter drop\n"
            "\t\tcounter comment \"miss\"\n"
            "\t}\n"
            "}\n");
}

TEST(OpenFlow, PortRangesBecomeExactCovers) {
  using Pieces = std::vector<std::pair<uint16_t, uint16_t>>;
  EXPECT_EQ(port_masks({80, 80}), (Pieces{{80, 0xffff}}));
  EXPECT_EQ(port_masks({1024, 65535}), (Pieces{{0x400, 0xfc00},
                                               {0x800, 0xf800},
                                               {0x1000, 0xf000},
                                               {0x2000, 0xe000},
                                               {0x4000, 0xc000},
                                               {0x8000, 0x8000}}));
  EXPECT_EQ(port_masks({0, 65535}), (Pieces{{0, 0}}));
  EXPECT_EQ(port_masks({65535, 65535}), (Pieces{{65535, 0xffff}}));
  // Every port of a few odd ranges is covered exactly once, and nothing outside them.
  for (PortSpan span : {PortSpan{3, 17}, PortSpan{1, 65534}, PortSpan{1000, 1023}}) {
    const auto pieces = port_masks(span);
    for (uint32_t port = 0; port < 65536; ++port) {
      int covering = 0;
      for (auto [value, mask] : pieces) covering += (port & mask) == value;
      ASSERT_EQ(covering, port >= span.lo && port <= span.hi ? 1 : 0) << port;
    }
  }
}

TEST(OpenFlow, RulesTranslateExactly) {
  OpenFlowOptions options;
  options.policy = ActionPolicy::kAlternate;
  EXPECT_EQ(to_openflow_rule(parse(kAcl), 1, 0, 65000, options),
            std::vector<std::string>{
                "table=0,priority=65000,cookie=0x1,ip,nw_src=176.19.181.33,nw_dst=90.145.23.162,"
                "nw_proto=6,tp_dst=1550,actions=drop"});
  const auto fw = to_openflow_rule(parse(kFw), 2, 0, 64999, options);
  ASSERT_EQ(fw.size(), 6u);  // 1024-65535 is six value/mask pieces
  EXPECT_EQ(fw[0],
            "table=0,priority=64999,cookie=0x2,ip,nw_src=37.184.89.216/29,nw_dst=37.184.85.16/29,"
            "nw_proto=17,tp_src=7648,tp_dst=0x400/0xfc00,actions=LOCAL");
  EXPECT_EQ(fw[5],
            "table=0,priority=64999,cookie=0x2,ip,nw_src=37.184.89.216/29,nw_dst=37.184.85.16/29,"
            "nw_proto=17,tp_src=7648,tp_dst=0x8000/0x8000,actions=LOCAL");
  EXPECT_EQ(to_openflow_rule(parse(kAny), 4, 1, 7, options),
            std::vector<std::string>{"table=1,priority=7,cookie=0x4,ip,actions=LOCAL"});
}

TEST(OpenFlow, PrioritiesDescendAndTablesChainPastTheLimit) {
  OpenFlowOptions options;
  options.rules_per_table = 2;
  options.miss_action = "drop";
  EXPECT_EQ(to_openflow({parse(kGre), parse(kAny), parse(kGre)}, options),
            "table=0,priority=2,cookie=0x1,ip,nw_dst=10.0.0.0/8,nw_proto=47,actions=drop\n"
            "table=0,priority=1,cookie=0x2,ip,actions=drop\n"
            "table=0,priority=0,cookie=0x100000000,actions=resubmit(,1)\n"
            "table=1,priority=2,cookie=0x3,ip,nw_dst=10.0.0.0/8,nw_proto=47,actions=drop\n"
            "table=1,priority=0,cookie=0x0,actions=drop\n");
}

TEST(ClassBenchLine, RoundTrips) {
  for (const char* line : {kAcl, kFw, kGre, kAny}) {
    const Filter f = parse(line);
    const Filter again = parse(to_classbench_line(f).c_str());
    EXPECT_EQ(to_tc(again, 1, "x", ActionPolicy::kDrop), to_tc(f, 1, "x", ActionPolicy::kDrop));
  }
  EXPECT_EQ(to_classbench_line(parse(kFw)),
            "@37.184.89.216/29\t37.184.85.16/29\t7648 : 7648\t1024 : 65535\t0x11/0xFF\t"
            "0x0000/0x0000\t");
}

}  // namespace
}  // namespace classbench

namespace classbench {
namespace {

TEST(Tc, LargeSetsContinueInTheNextChain) {
  std::string error;
  const Filter gre = *parse_line(kGre, error);
  std::vector<Filter> filters(kRulesPerChain + 2, gre);
  const std::string batch = to_tc_batch(filters, "d", ActionPolicy::kDrop);
  EXPECT_NE(
      batch.find("filter add dev d ingress pref 65000 protocol ip flower ip_proto 0x2f "
                 "dst_ip 10.0.0.0/8 action drop\n"
                 "filter add dev d ingress pref 65535 protocol all flower action goto chain 1\n"
                 "filter add dev d ingress chain 1 pref 1 protocol ip flower"),
      std::string::npos);
  EXPECT_EQ(batch.find("chain 2"), std::string::npos);
  EXPECT_EQ(tc_chain_of(kRulesPerChain), 1u);
  EXPECT_EQ(tc_pref_of(kRulesPerChain + 1), 2u);
}

}  // namespace
}  // namespace classbench
