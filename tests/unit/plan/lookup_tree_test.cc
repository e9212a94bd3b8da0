// Cut trees (plan/lookup.h): walked on the host over the plan's own nodes and entries, a table
// with trees must decide every point as a linear first-match scan of its records does.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "plan_for.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {
namespace {

using ir::ControlKind;
using ir::Field;

struct Spec {
  uint32_t src = 0, dst = 0;
  int src_len = 0, dst_len = 0;
  ir::PortRange dport{0, 0xffff};
  std::optional<uint8_t> proto;
};

ir::Rule rule_of(uint32_t pref, const Spec& s) {
  ir::Rule r;
  r.pref = pref;
  r.protocol = 0x0800;
  const auto prefix = [](int len) { return len == 0 ? 0u : ~uint32_t{0} << (32 - len); };
  if (s.src_len)
    r.match.set(Field::kIpv4Src,
                ir::MaskedValue::from_u64(4, s.src & prefix(s.src_len), prefix(s.src_len)));
  if (s.dst_len)
    r.match.set(Field::kIpv4Dst,
                ir::MaskedValue::from_u64(4, s.dst & prefix(s.dst_len), prefix(s.dst_len)));
  if (s.proto) r.match.set(Field::kIpProto, ir::MaskedValue::from_u64(1, *s.proto, 0xff));
  if (s.proto && (s.dport.min != 0 || s.dport.max != 0xffff)) {
    if (s.dport.min == s.dport.max)
      r.match.set(Field::kDstPort, ir::MaskedValue::from_u64(2, s.dport.min, 0xffff));
    else
      r.match.dst_port_range = s.dport;
  }
  ir::Control c{pref % 2 ? ControlKind::kDrop : ControlKind::kOk, 0};
  r.actions = {ir::Action{ir::GactAction{c}, c, std::nullopt}};
  return r;
}

// ClassBench-like: mostly specific destinations, a share of wildcards on either side, exact
// ports and ranges, so the planner groups them into several trees.
ir::RuleSet classbench_like(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const auto pick = [&](uint32_t k) { return static_cast<uint32_t>(rng() % k); };
  ir::RuleSet set;
  for (uint32_t i = 0; i < n; ++i) {
    Spec s;
    s.src = rng();
    s.dst = (pick(16) << 24) | (rng() & 0xffffff);
    switch (pick(4)) {
      case 0: s.src_len = 0, s.dst_len = 24 + static_cast<int>(pick(9)); break;   // any source
      case 1: s.src_len = 16 + static_cast<int>(pick(17)), s.dst_len = 0; break;  // any destination
      default:
        s.src_len = 8 + static_cast<int>(pick(25)), s.dst_len = 16 + static_cast<int>(pick(17));
    }
    if (pick(5)) {
      s.proto = pick(2) ? 6 : 17;
      const uint16_t port = static_cast<uint16_t>(pick(2) ? pick(1024) : rng());
      s.dport = pick(3) ? ir::PortRange{port, port}
                        : ir::PortRange{
                              port, static_cast<uint16_t>(std::min(0xffffu, port + pick(4096)))};
    }
    Diagnostics d;
    EXPECT_TRUE(set.apply({ir::CommandOp::kAdd, rule_of(i + 1, s)}, d)) << d.to_string();
  }
  return set;
}

// A point of the table's key space: packed words and the two host-order ports.
struct Point {
  std::vector<uint64_t> words;
  uint16_t sport = 0, dport = 0;
};

bool accepts(const TableRecord& r, const Point& p) {
  for (size_t w = 0; w < r.mask.size(); ++w)
    if ((p.words[w] & r.mask[w]) != r.value[w]) return false;
  return r.src_port.min <= p.sport && p.sport <= r.src_port.max && r.dst_port.min <= p.dport &&
         p.dport <= r.dst_port.max;
}

// The walk the program does: the first entry of the point's leaf that accepts it.
std::optional<uint32_t> walk(const Tree& tree, const Point& p,
                             const std::map<uint32_t, const TableRecord*>& by_id) {
  const TreeNode* node = &tree.nodes.at(0);
  uint32_t steps = 0;
  while (!node->leaf) {
    const uint64_t key = node->dim < kTreePortDim    ? p.words.at(node->dim)
                         : node->dim == kTreePortDim ? p.sport
                                                     : p.dport;
    const uint64_t child = (key >> node->shift) & ((uint64_t{1} << node->bits) - 1);
    node = &tree.nodes.at(node->first + child);
    EXPECT_LE(++steps, tree.depth);
  }
  EXPECT_LE(node->count, tree.widest_leaf);
  uint32_t previous = 0;
  for (uint32_t i = 0; i < node->count; ++i) {
    const TableRecord& r = *by_id.at(tree.entries.at(node->first + i));
    EXPECT_GE(r.ordinal, previous) << "a leaf lists its records in ordinal order";
    previous = r.ordinal;
    if (accepts(r, p)) return r.ordinal;
  }
  return std::nullopt;
}

// Points aimed at random records (inside their masks and ranges), and some random ones.
void expect_trees_agree_with_a_linear_scan(const Plan& plan, size_t points, uint32_t seed) {
  ASSERT_EQ(plan.tables.size(), 1u);
  const Table& t = plan.tables[0];
  std::map<uint32_t, const TableRecord*> by_id;
  for (const TableRecord& r : t.records) by_id[plan.rules[r.rule].stats_slot] = &r;
  std::mt19937_64 rng(seed);
  size_t hits = 0;
  for (size_t n = 0; n < points; ++n) {
    Point p;
    const TableRecord& aim = t.records[rng() % t.records.size()];
    for (size_t w = 0; w < t.words; ++w)
      p.words.push_back(n % 10 ? aim.value[w] | (rng() & ~aim.mask[w]) : rng());
    const auto in = [&](const ir::PortRange& r) {
      return static_cast<uint16_t>(r.min + rng() % (uint32_t{r.max} - r.min + 1));
    };
    p.sport = in(aim.src_port);
    p.dport = n % 10 ? in(aim.dst_port) : static_cast<uint16_t>(rng());
    // A port the key packs is the same port as the host-order one the ranges check.
    for (const PackedComponent& pc : t.layout) {
      if (pc.component.kind != Component::Kind::kField) continue;
      uint16_t* port = pc.component.index == static_cast<uint8_t>(Field::kSrcPort)   ? &p.sport
                       : pc.component.index == static_cast<uint8_t>(Field::kDstPort) ? &p.dport
                                                                                     : nullptr;
      if (!port) continue;
      uint64_t& word = p.words[pc.word];
      if (((aim.mask[pc.word] >> pc.shift) & 0xffff) == 0xffff && n % 10)
        *port = static_cast<uint16_t>(le_of_host((aim.value[pc.word] >> pc.shift) & 0xffff, 2));
      word = (word & ~(uint64_t{0xffff} << pc.shift)) | le_of_host(*port, 2) << pc.shift;
    }
    std::optional<uint32_t> want;
    for (const TableRecord& r : t.records)
      if (accepts(r, p) && (!want || r.ordinal < *want)) want = r.ordinal;
    // The trees, then the residue's records (the tuples hold them; their probe is tested apart).
    std::optional<uint32_t> got;
    for (const Tree& tree : t.trees) {
      if (got && *got <= tree.floor) continue;
      const auto found = walk(tree, p, by_id);
      if (found && (!got || *found < *got)) got = found;
    }
    for (const TableBucket& b : t.buckets)
      for (uint32_t id : b.records)
        if (id != kNoRecord && accepts(*by_id.at(id), p) && (!got || by_id.at(id)->ordinal < *got))
          got = by_id.at(id)->ordinal;
    ASSERT_EQ(got, want) << "point " << n;
    hits += want.has_value();
  }
  EXPECT_GT(hits, points / 2);
}

TEST(LookupTree, TheCostModelCutsTreesForAThousandsRuleSetAndTheyDecideAsAScan) {
  const ir::RuleSet set = classbench_like(3000, 7);
  const Plan p = plan_for(set, LookupPolicy::kCostModel);
  ASSERT_EQ(p.tables.size(), 1u);
  const Table& t = p.tables[0];
  EXPECT_GE(t.trees.size(), 2u) << "wide sources and wide destinations get trees of their own";
  size_t in_trees = 0;
  for (const Tree& tree : t.trees) {
    EXPECT_LE(tree.depth, kTreeMaxDepth);
    EXPECT_LE(tree.widest_leaf, kTreeLeafRecords);
    in_trees += tree.entries.size();
  }
  EXPECT_GT(in_trees, t.records.size() / 2);
  for (size_t i = 1; i < t.trees.size(); ++i)
    EXPECT_LE(t.trees[i - 1].floor, t.trees[i].floor) << "walked in floor order";
  // Memory: nodes and entries within the builder's budget.
  size_t bytes = 0;
  for (const Tree& tree : t.trees) bytes += 8 * tree.nodes.size() + 4 * tree.entries.size();
  EXPECT_LE(bytes, 128 * t.records.size());
  expect_trees_agree_with_a_linear_scan(p, 20000, 1);
}

TEST(LookupTree, ForcedTreesOnASmallSetKeepEveryRuleFindable) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    const ir::RuleSet set = classbench_like(60, seed);
    const Plan p = plan_for(set, LookupPolicy::kAlwaysTree);
    ASSERT_EQ(p.tables.size(), 1u);
    EXPECT_FALSE(p.tables[0].trees.empty());
    expect_trees_agree_with_a_linear_scan(p, 3000, seed);
  }
}

TEST(LookupTree, ATreeIsShapeSoChangingWhatItHoldsChangesTheFingerprint) {
  ir::RuleSet set = classbench_like(500, 3);
  const Plan before = plan_for(set, LookupPolicy::kAlwaysTree);
  ASSERT_FALSE(before.tables.at(0).trees.empty());
  Diagnostics d;
  ir::Rule gone;
  gone.pref = 250;
  ASSERT_TRUE(set.apply({ir::CommandOp::kDelete, gone}, d)) << d.to_string();
  ASSERT_EQ(set.size(), 499u);
  const Plan after = plan_for(set, LookupPolicy::kAlwaysTree);
  EXPECT_NE(before.shape_fingerprint, after.shape_fingerprint)
      << "a live tree's maps are never rewritten: the change must recompile";
  EXPECT_EQ(plan_for(set, LookupPolicy::kAlwaysTree).shape_fingerprint, after.shape_fingerprint)
      << "and planning is deterministic";
}

TEST(LookupTree, TablesOfOneMaskStayTuples) {
  ir::RuleSet set;
  for (uint32_t i = 0; i < 500; ++i) {
    Spec s;
    s.dst = 0x0a000000u + (i << 8);
    s.dst_len = 24;
    Diagnostics d;
    ASSERT_TRUE(set.apply({ir::CommandOp::kAdd, rule_of(i + 1, s)}, d)) << d.to_string();
  }
  const Plan p = plan_for(set, LookupPolicy::kCostModel);
  ASSERT_EQ(p.tables.size(), 1u);
  EXPECT_TRUE(p.tables[0].trees.empty()) << "one tuple is one probe: a tree would cost more";
  EXPECT_EQ(p.tree_nodes, 0u);
}

TEST(LookupTree, NodesEncodeAsTheProgramReadsThem) {
  const TreeNode cut{false, 5, 3, 8, 0, 2};
  const TreeNode leaf{true, 0, 0, 0, 12, 40};
  EXPECT_EQ(encode_tree_node(cut), 1u | 5u << 1 | 3u << 4 | 8u << 10 | 2u << 14);
  EXPECT_EQ(encode_tree_node(leaf), 12u << 1 | 40u << 6);
}

}  // namespace
}  // namespace tc2xdp::plan
