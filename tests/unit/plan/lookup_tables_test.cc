// The table planner: which runs become tables, tuples within their records' masks, bucket limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <set>

#include "plan_for.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

using ir::ControlKind;
using ir::Field;

ir::Rule ipv4_rule(uint32_t pref, uint32_t dst, int prefix_len, uint16_t dport,
                   ControlKind verdict) {
  ir::Rule r;
  r.pref = pref;
  r.protocol = 0x0800;
  const uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
  r.match.set(Field::kIpv4Dst, ir::MaskedValue::from_u64(4, dst & mask, mask));
  r.match.set(Field::kIpProto, ir::MaskedValue::from_u64(1, 6, 0xff));
  r.match.dst_port_range = ir::PortRange{dport, static_cast<uint16_t>(dport + 10)};
  ir::Control c{verdict, 0};
  r.actions = {ir::Action{ir::GactAction{c}, c, std::nullopt}};
  return r;
}

ir::RuleSet many_rules(size_t n) {
  ir::RuleSet set;
  Diagnostics d;
  for (uint32_t i = 0; i < n; ++i) {
    const int len = 8 + static_cast<int>(i % 25);
    EXPECT_TRUE(
        set.apply({ir::CommandOp::kAdd, ipv4_rule(i + 1, 0x0a000000u + i * 977, len, 1000 + i % 7,
                                                  i % 2 ? ControlKind::kDrop : ControlKind::kOk)},
                  d))
        << d.to_string();
  }
  return set;
}

TEST(LookupTables, LongRunsBecomeOneTableWithMergedTuples) {
  const ir::RuleSet set = many_rules(600);
  const Plan p = plan_for(set, LookupPolicy::kCostModel);
  ASSERT_EQ(p.tables.size(), 1u);
  ASSERT_EQ(p.chains[0].units.size(), 1u);
  EXPECT_EQ(p.chains[0].units[0].kind, ChainUnit::Kind::kTable);
  const Table& t = p.tables[0];
  EXPECT_EQ(t.records.size(), 600u);
  EXPECT_TRUE(t.dst_port_range);
  // Nested prefixes collide under relaxed masks; buckets of four keep the tuple count far below
  // one per rule (ClassBench acl1_10k: 51 tuples).
  EXPECT_LT(t.tuples.size(), 600u / kBucketCandidates);
  EXPECT_LE(t.words, 2u);
}

TEST(LookupTables, EveryRecordIsFiledOnceUnderATupleWithinItsMask) {
  const ir::RuleSet set = many_rules(300);
  const Plan p = plan_for(set, LookupPolicy::kAlwaysTable);
  ASSERT_EQ(p.tables.size(), 1u);
  const Table& t = p.tables[0];
  std::map<uint32_t, const Tuple*> tuples;
  for (const Tuple& tuple : t.tuples) tuples[tuple.id] = &tuple;
  std::map<uint32_t, const TableRecord*> by_slot;
  for (const TableRecord& r : t.records) by_slot[p.rules[r.rule].stats_slot] = &r;
  std::multiset<uint32_t> filed;
  for (const TableBucket& bucket : t.buckets) {
    const Tuple& tuple = *tuples.at(bucket.tuple);
    uint32_t previous_ordinal = 0;
    bool first = true;
    for (uint32_t id : bucket.records) {
      if (id == kNoRecord) continue;
      filed.insert(id);
      const TableRecord& r = *by_slot.at(id);
      for (size_t w = 0; w < r.mask.size(); ++w) {
        EXPECT_EQ(tuple.mask[w] & ~r.mask[w], 0u) << "a tuple is never more specific";
        EXPECT_EQ(r.value[w] & tuple.mask[w], bucket.key[w]) << "filed under its own key";
      }
      EXPECT_GE(r.ordinal, tuple.floor);
      if (!first) EXPECT_GT(r.ordinal, previous_ordinal) << "buckets hold candidates in order";
      previous_ordinal = r.ordinal;
      first = false;
    }
  }
  EXPECT_EQ(filed.size(), 300u);
  EXPECT_EQ(std::set<uint32_t>(filed.begin(), filed.end()).size(), 300u);
  // Probe order: ascending floors.
  for (size_t i = 1; i < t.tuples.size(); ++i) EXPECT_LE(t.tuples[i - 1].floor, t.tuples[i].floor);
}

TEST(LookupTables, ContinueRulesStayInlineAndSplitTheRun) {
  ir::RuleSet set;
  Diagnostics d;
  for (uint32_t i = 0; i < 10; ++i)
    ASSERT_TRUE(set.apply(
        {ir::CommandOp::kAdd, ipv4_rule(i + 1, 0x0a000000u + (i << 8), 24, 80,
                                        i == 4 ? ControlKind::kContinue : ControlKind::kDrop)},
        d));
  const Plan p = plan_for(set, LookupPolicy::kAlwaysTable);
  ASSERT_EQ(p.tables.size(), 2u);
  const auto& units = p.chains[0].units;
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0].kind, ChainUnit::Kind::kTable);
  EXPECT_EQ(units[1].kind, ChainUnit::Kind::kInlineRule);
  EXPECT_EQ(p.rules[units[1].index].pref, 5u);
  EXPECT_EQ(units[2].kind, ChainUnit::Kind::kTable);
  EXPECT_EQ(p.tables[0].records.size(), 4u);
  EXPECT_EQ(p.tables[1].records.size(), 5u);
}

TEST(LookupTables, ShortRunsStayInlineUnderTheCostModel) {
  const Plan p = plan_for(many_rules(5), LookupPolicy::kCostModel);
  EXPECT_TRUE(p.tables.empty());
  EXPECT_EQ(p.chains[0].units.size(), 5u);
  const Plan none = plan_for(many_rules(600), LookupPolicy::kInlineOnly);
  EXPECT_TRUE(none.tables.empty());
}

TEST(LookupTables, RecordsEncodeAtTheLayoutsOffsets) {
  const ir::RuleSet set = many_rules(3);
  const Plan p = plan_for(set, LookupPolicy::kAlwaysTable);
  ASSERT_EQ(p.tables.size(), 1u);
  const TableRecord& r = p.tables[0].records[1];
  const auto bytes = encode_table_record(p.table_layout, r);
  ASSERT_EQ(bytes.size(), p.table_layout.record_size());
  ASSERT_TRUE(p.table_layout.port_ranges);
  uint32_t ordinal, kind_arg;
  uint16_t dport_min;
  std::memcpy(&ordinal, bytes.data() + p.table_layout.ordinal_offset(), 4);
  std::memcpy(&kind_arg, bytes.data() + p.table_layout.kind_arg_offset(), 4);
  std::memcpy(&dport_min, bytes.data() + p.table_layout.ports_offset() + 4, 2);
  EXPECT_EQ(ordinal, 2u << 16);  // pref 2, first of its pref
  EXPECT_EQ(kind_arg & 0xff, static_cast<uint32_t>(r.kind));
  EXPECT_EQ(kind_arg >> 8, r.arg);
  EXPECT_EQ(dport_min, 1001);
}

const Component kProtocol{Component::Kind::kOuterProto};
const Component kNProto{Component::Kind::kNProto};
const Component kIpProto{Component::Kind::kField, static_cast<uint8_t>(Field::kIpProto)};

const Term* guard_of(const Table& t, const Component& c) {
  auto it = std::find_if(t.guards.begin(), t.guards.end(),
                         [&](const Term& g) { return g.component == c; });
  return it == t.guards.end() ? nullptr : &*it;
}

bool packs(const Table& t, const Component& c) {
  return std::any_of(t.layout.begin(), t.layout.end(),
                     [&](const PackedComponent& pc) { return pc.component == c; });
}

TEST(LookupTables, TermsAllRulesShareAreGuardsLeftOutOfTheKey) {
  const ir::RuleSet set = many_rules(40);  // all protocol ip, ip_proto tcp
  const Plan p = plan_for(set, LookupPolicy::kAlwaysTable);
  ASSERT_EQ(p.tables.size(), 1u);
  const Table& t = p.tables[0];
  const Term* protocol = guard_of(t, kProtocol);
  const Term* n_proto = guard_of(t, kNProto);
  ASSERT_NE(protocol, nullptr);
  ASSERT_NE(n_proto, nullptr);
  EXPECT_EQ(protocol->mask, 0xffffu);
  EXPECT_EQ(protocol->value, le_of_host(0x0800, 2));
  EXPECT_EQ(n_proto->value, le_of_host(0x0800, 2));
  // A guard is checked once per packet, never packed.
  for (const Term& g : t.guards)
    EXPECT_FALSE(packs(t, g.component)) << g.component.name() << " is a guard and packed";
  // Packed too, the guards would not fit the words the table uses (no packing beats the sum).
  unsigned all_bits = 0;
  for (const PackedComponent& pc : t.layout) all_bits += pc.component.bits();
  for (const Term& g : t.guards) all_bits += g.component.bits();
  EXPECT_LT(t.words, (all_bits + 63) / 64);
  // Records keep only what differs: here the dst prefix (many_rules: 8 + i % 25 bits).
  for (size_t i = 0; i < t.records.size(); ++i) {
    int bits = 0;
    for (uint64_t w : t.records[i].mask) bits += std::popcount(w);
    EXPECT_EQ(bits, 8 + static_cast<int>(i % 25)) << "record " << i;
  }
  // A lone rule keeps its terms: as guards they would leave its record nothing to check.
  const Plan one = plan_for(many_rules(1), LookupPolicy::kAlwaysTable);
  ASSERT_EQ(one.tables.size(), 1u);
  EXPECT_TRUE(one.tables[0].guards.empty());
  EXPECT_TRUE(packs(one.tables[0], kProtocol));
}

TEST(LookupTables, MixedProtocolsAreNotGuardedOnProtocol) {
  ir::RuleSet set;
  Diagnostics d;
  for (uint32_t i = 0; i < 20; ++i) {
    ir::Rule r = ipv4_rule(i + 1, 0x0a000000u + (i << 8), 24, 80, ControlKind::kDrop);
    if (i % 2) {  // protocol ipv6 ip_proto tcp dst_port 80-90, no address
      r.protocol = 0x86DD;
      r.match.clear(Field::kIpv4Dst);
    }
    ASSERT_TRUE(set.apply({ir::CommandOp::kAdd, r}, d)) << d.to_string();
  }
  const Plan p = plan_for(set, LookupPolicy::kAlwaysTable);
  ASSERT_EQ(p.tables.size(), 1u);
  const Table& t = p.tables[0];
  ASSERT_EQ(t.records.size(), 20u);
  EXPECT_EQ(guard_of(t, kProtocol), nullptr);
  EXPECT_EQ(guard_of(t, kNProto), nullptr);
  EXPECT_TRUE(packs(t, kProtocol));
  EXPECT_TRUE(packs(t, kNProto));
  // Per term, not all or nothing: the ip_proto they all share is still a guard.
  EXPECT_NE(guard_of(t, kIpProto), nullptr);
  EXPECT_FALSE(packs(t, kIpProto));
}

// A catch-all at the end of a run (`protocol all`, as after ClassBench's synthetic chain 0) would
// cost the table its guards: it follows the table inline instead. One in the middle stays in.
TEST(LookupTables, ACatchAllAfterTheRunFollowsTheTableInline) {
  ir::RuleSet set = many_rules(300);
  Diagnostics d;
  ir::Rule all = ipv4_rule(301, 0, 0, 1000, ControlKind::kDrop);
  all.protocol = ir::kEthPAll;
  all.match = {};
  ASSERT_TRUE(set.apply({ir::CommandOp::kAdd, all}, d)) << d.to_string();
  const Plan p = plan_for(set, LookupPolicy::kCostModel);
  ASSERT_EQ(p.tables.size(), 1u);
  EXPECT_EQ(p.tables[0].records.size(), 300u);
  EXPECT_NE(guard_of(p.tables[0], kProtocol), nullptr);
  ASSERT_EQ(p.chains[0].units.size(), 2u);
  EXPECT_EQ(p.chains[0].units[1].kind, ChainUnit::Kind::kInlineRule);
  EXPECT_EQ(p.rules[p.chains[0].units[1].index].pref, 301u);

  // Twenty more `protocol ip` rules after it: it is no tail, and the table keeps it.
  for (uint32_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(set.apply({ir::CommandOp::kAdd,
                           ipv4_rule(302 + i, 0x0b000000u + (i << 8), 24, 80, ControlKind::kDrop)},
                          d))
        << d.to_string();
  }
  const Plan q = plan_for(set, LookupPolicy::kCostModel);
  ASSERT_EQ(q.tables.size(), 1u);
  EXPECT_EQ(q.tables[0].records.size(), 321u);
  EXPECT_EQ(guard_of(q.tables[0], kProtocol), nullptr);
}

}  // namespace
}  // namespace tc2xdp::plan
