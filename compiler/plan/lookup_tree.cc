// HiCuts-style cut trees over a table's packed key and port ranges (lookup.h).
//
// A node's region is what the cuts above it fixed: bits of the packed words (records are ternary
// there, so any byte may be cut next, from its most significant unfixed bit) and top bits of
// each host-order port (so a child is a port interval). A cut takes 1 to 8 bits of one dimension;
// its children are the 2^bits regions that makes, each holding the records that overlap it. Of
// each dimension's widest cut within HiCuts' space factor, the one whose fullest child is
// smallest is taken. A leaf holds at most kTreeLeafRecords records; past that, or at the depth
// bound, the records of highest ordinal leave the tree.
//
// A record wide in a dimension is copied into every child of a cut there, so the records are
// grouped first by the dimensions they are narrow in (EffiCuts' separability): each tree takes
// the largest group left and every record narrow in at least its dimensions. A tree over its
// memory budget is rebuilt without the records it copied most. What one tree leaves out, the
// next takes; what the last leaves out is filed under tuples. The program walks the trees in
// floor order and skips one whose floor cannot beat the best so far.
#include "lookup_tree.h"

#include <algorithm>
#include <array>
#include <bit>
#include <iterator>
#include <map>
#include <optional>

namespace tc2xdp::plan {

namespace {

constexpr size_t kLeafTarget = 8;   // records a leaf may hold without trying to cut it further
constexpr double kSpaceFactor = 4;  // children's entries a cut may create per entry of its node
constexpr unsigned kMaxCutBits = 8;
constexpr uint32_t kPortBits = 16;
constexpr size_t kTreeBytesPerRule = 64;  // nodes and entries (4 bytes each) a tree may take

// A record as the tree sees it: its packed mask and value, and the ports it accepts (its range,
// narrowed by an exact port it keys in the packed key).
struct TreeRule {
  std::array<uint64_t, 4> mask{}, value{};
  std::array<ir::PortRange, 2> ports{ir::PortRange{0, 0xffff}, ir::PortRange{0, 0xffff}};
};

struct Region {
  std::array<uint64_t, 4> fixed{};       // packed bits the cuts above fixed
  std::array<uint32_t, 2> port_bits{};   // top bits of each port fixed ...
  std::array<uint32_t, 2> port_first{};  // ... and so the lowest port of the node's interval
};

// Which port a packed component is: 0 source, 1 destination; nullopt for any other.
std::optional<size_t> port_of(const Component& c) {
  if (c.kind != Component::Kind::kField) return std::nullopt;
  if (c.index == static_cast<uint8_t>(ir::Field::kSrcPort)) return 0;
  if (c.index == static_cast<uint8_t>(ir::Field::kDstPort)) return 1;
  return std::nullopt;
}

struct Cut {
  uint8_t dim = 0, shift = 0, bits = 0;
};

// Calls `each(c)` for every child of `cut` that `rule` overlaps, or returns false without calling
// it when the rule overlaps all of them.
template <typename F>
bool for_children(const TreeRule& rule, const Region& region, const Cut& cut, F&& each) {
  const uint32_t n = 1u << cut.bits;
  if (cut.dim < kTreePortDim) {
    const uint64_t window = n - 1;
    const uint64_t m = (rule.mask[cut.dim] >> cut.shift) & window;
    const uint64_t v = (rule.value[cut.dim] >> cut.shift) & m;
    if (m == 0) return false;
    if (m == window) {
      each(static_cast<uint32_t>(v));
      return true;
    }
    for (uint32_t c = 0; c < n; ++c)
      if ((c & m) == v) each(c);
    return true;
  }
  const size_t p = cut.dim - kTreePortDim;
  const uint32_t first = region.port_first[p];
  const uint32_t last = first + (1u << (kPortBits - region.port_bits[p])) - 1;
  const uint32_t lo = std::max<uint32_t>(rule.ports[p].min, first);
  const uint32_t hi = std::min<uint32_t>(rule.ports[p].max, last);
  if (lo > hi) return true;  // outside the node: not in its list, so never asked
  const uint32_t c_lo = (lo - first) >> cut.shift, c_hi = (hi - first) >> cut.shift;
  if (c_lo == 0 && c_hi == n - 1) return false;
  for (uint32_t c = c_lo; c <= c_hi; ++c) each(c);
  return true;
}

Region child_region(Region region, const Cut& cut, uint32_t child) {
  if (cut.dim < kTreePortDim) {
    region.fixed[cut.dim] |= ((uint64_t{1} << cut.bits) - 1) << cut.shift;
  } else {
    const size_t p = cut.dim - kTreePortDim;
    region.port_bits[p] += cut.bits;
    region.port_first[p] += child << cut.shift;
  }
  return region;
}

class TreeBuilder {
 public:
  // Over the records `in_scope`, except those `evicted` from the start.
  TreeBuilder(const Table& table, const std::vector<uint32_t>& record_ids,
              const std::vector<TreeRule>& rules, const std::vector<bool>& in_scope,
              std::vector<bool> evicted, size_t budget)
      : table_(table),
        record_ids_(record_ids),
        rules_(rules),
        in_scope_(in_scope),
        evicted_(std::move(evicted)),
        budget_(budget) {
    build_.tree.floor = UINT32_MAX;
  }

  struct Result {
    Tree tree;
    std::vector<uint32_t> residue;  // in scope, not in the tree: classification order
  };

  // Copies each record had beyond its first in the last run (for a tree over budget: up to
  // where it stopped, which is depth first, so every cut near the root is counted).
  const std::vector<size_t>& copies() const { return copies_; }

  // Nullopt when the tree outgrows the budget.
  std::optional<Result> run() {
    std::vector<uint32_t> all;
    for (uint32_t i = 0; i < table_.records.size(); ++i)
      if (in_scope_[i] && !evicted_[i]) all.push_back(i);
    build_.tree.nodes.resize(1);
    build(0, std::move(all), Region{}, 0);
    if (over_budget()) return std::nullopt;
    for (uint32_t i = 0; i < table_.records.size(); ++i)
      if (in_scope_[i]) {
        if (evicted_[i])
          build_.residue.push_back(i);
        else
          build_.tree.floor = std::min(build_.tree.floor, table_.records[i].ordinal);
      }
    return std::move(build_);
  }

  static TreeRule tree_rule(const Table& table, const TableRecord& r) {
    TreeRule t;
    for (size_t w = 0; w < r.mask.size() && w < 4; ++w)
      t.mask[w] = r.mask[w], t.value[w] = r.value[w];
    t.ports = {r.src_port, r.dst_port};
    // An exact port in the packed key is a one-port range to the port dimensions.
    for (const PackedComponent& pc : table.layout) {
      const std::optional<size_t> p = port_of(pc.component);
      if (!p || ((r.mask[pc.word] >> pc.shift) & 0xffff) != 0xffff) continue;
      const auto port =
          static_cast<uint16_t>(le_of_host((r.value[pc.word] >> pc.shift) & 0xffff, 2));
      t.ports[*p].min = std::max(t.ports[*p].min, port);
      t.ports[*p].max = std::min(t.ports[*p].max, port);
    }
    return t;
  }

 private:
  bool over_budget() const {
    // Past the node encoding's indexes too (the root's first child is node 1).
    return 4 * (build_.tree.nodes.size() + build_.tree.entries.size()) > budget_ ||
           build_.tree.nodes.size() >= kTreeMaxNodes ||
           build_.tree.entries.size() >= kTreeMaxEntries;
  }

  // Each dimension's next cuts: for a packed component, the unfixed bits left in each of its
  // bytes (records are ternary there, so any order works); for a port, its next top bits.
  std::vector<std::pair<Cut, unsigned>> dimensions(const Region& region) const {
    std::vector<std::pair<Cut, unsigned>> out;  // (cut of 1 bit, the most bits it may take)
    for (const PackedComponent& pc : table_.layout) {
      const unsigned bytes = (pc.component.bits() + 7) / 8;
      for (unsigned b = 0; b < bytes; ++b) {
        if (pc.shift + 8 * b + 7 >= 64) break;
        int j = 7;
        while (j >= 0 && (region.fixed[pc.word] >> (pc.shift + 8 * b + j) & 1)) --j;
        if (j < 0) continue;
        out.push_back({Cut{pc.word, static_cast<uint8_t>(pc.shift + 8 * b + j), 1},
                       static_cast<unsigned>(j + 1)});
      }
    }
    const bool ranges[2] = {table_.src_port_range, table_.dst_port_range};
    for (size_t p = 0; p < 2; ++p) {
      if (!ranges[p] || region.port_bits[p] == kPortBits) continue;
      const uint32_t left = kPortBits - region.port_bits[p];
      out.push_back({Cut{static_cast<uint8_t>(kTreePortDim + p), static_cast<uint8_t>(left - 1), 1},
                     std::min(left, kMaxCutBits)});
    }
    return out;
  }

  struct Spread {
    size_t fullest = 0, entries = 0;
  };
  Spread spread(const std::vector<uint32_t>& rules, const Region& region, const Cut& cut) {
    counts_.assign(size_t{1} << cut.bits, 0);
    size_t everywhere = 0;
    for (uint32_t r : rules)
      if (!for_children(rules_[r], region, cut, [&](uint32_t c) { ++counts_[c]; })) ++everywhere;
    Spread s;
    for (uint32_t n : counts_) s.fullest = std::max<size_t>(s.fullest, n), s.entries += n;
    s.fullest += everywhere;
    s.entries += everywhere * counts_.size();
    return s;
  }

  std::optional<Cut> choose_cut(const std::vector<uint32_t>& rules, const Region& region) {
    std::optional<Cut> best;
    Spread best_spread{rules.size(), 0};
    const double budget = kSpaceFactor * static_cast<double>(rules.size());
    for (auto [cut, most] : dimensions(region)) {
      // The widest cut of this dimension within the space budget.
      std::optional<std::pair<Cut, Spread>> widest;
      const unsigned top = cut.shift + 1;  // packed: the first bit's position + 1
      for (unsigned bits = 1; bits <= std::min(most, kMaxCutBits); ++bits) {
        Cut c = cut;
        c.bits = static_cast<uint8_t>(bits);
        c.shift = static_cast<uint8_t>(top - bits);
        const Spread s = spread(rules, region, c);
        if (widest && static_cast<double>(s.entries + (size_t{1} << bits)) > budget) break;
        widest = {c, s};
      }
      if (!widest) continue;
      const Spread& s = widest->second;
      if (s.fullest < best_spread.fullest ||
          (s.fullest == best_spread.fullest && best && s.entries < best_spread.entries)) {
        best = widest->first;
        best_spread = s;
      }
    }
    return best;
  }

  void build(uint32_t node, std::vector<uint32_t> rules, const Region& region, uint32_t depth) {
    if (over_budget()) return;
    std::erase_if(rules, [&](uint32_t r) { return evicted_[r]; });
    std::optional<Cut> cut;
    if (rules.size() > kLeafTarget && depth < kTreeMaxDepth) cut = choose_cut(rules, region);
    if (!cut) return leaf(node, std::move(rules), depth);
    const uint32_t n = 1u << cut->bits;
    const auto first = static_cast<uint32_t>(build_.tree.nodes.size());
    build_.tree.nodes.resize(first + n);
    build_.tree.nodes[node] = {false, cut->dim, cut->shift, cut->bits, 0, first};
    std::vector<std::vector<uint32_t>> lists(n);
    for (uint32_t r : rules) {
      if (!for_children(rules_[r], region, *cut, [&](uint32_t c) {
            lists[c].push_back(r);
            ++copies_[r];
          })) {
        for (auto& list : lists) list.push_back(r);
        copies_[r] += n;
      }
      --copies_[r];  // the copy the node itself held
    }
    rules = {};
    for (uint32_t c = 0; c < n; ++c)
      build(first + c, std::move(lists[c]), child_region(region, *cut, c), depth + 1);
  }

  void leaf(uint32_t node, std::vector<uint32_t> rules, uint32_t depth) {
    if (rules.size() > kTreeLeafRecords) {
      for (size_t i = kTreeLeafRecords; i < rules.size(); ++i) evicted_[rules[i]] = true;
      rules.resize(kTreeLeafRecords);
    }
    Tree& tree = build_.tree;
    auto [it, fresh] = leaves_.try_emplace(rules, static_cast<uint32_t>(tree.entries.size()));
    if (fresh)
      for (uint32_t r : rules) tree.entries.push_back(record_ids_[r]);
    tree.nodes[node] = {true, 0, 0, 0, static_cast<uint8_t>(rules.size()), it->second};
    tree.depth = std::max(tree.depth, depth);
    tree.widest_leaf = std::max<uint32_t>(tree.widest_leaf, static_cast<uint32_t>(rules.size()));
  }

  const Table& table_;
  const std::vector<uint32_t>& record_ids_;
  const std::vector<TreeRule>& rules_;
  const std::vector<bool>& in_scope_;
  std::vector<bool> evicted_;
  std::vector<size_t> copies_ = std::vector<size_t>(table_.records.size(), 0);  // extra copies
  size_t budget_;                                     // bytes of nodes and entries
  std::map<std::vector<uint32_t>, uint32_t> leaves_;  // a leaf's records -> its first entry
  std::vector<uint32_t> counts_;
  Result build_;
};

}  // namespace

namespace {

// One tree over the records `scope` (classification order). A tree over its budget is rebuilt
// without the records it copied most (the wide ones, in the dimensions it chose to cut), twice
// as many each time, which are left for the next tree: cut on other bits they spread less.
std::optional<TreeBuilder::Result> build_one(const Table& table,
                                             const std::vector<uint32_t>& record_ids,
                                             const std::vector<TreeRule>& rules,
                                             const std::vector<uint32_t>& scope) {
  std::vector<bool> in_scope(rules.size(), false);
  for (uint32_t i : scope) in_scope[i] = true;
  const size_t budget = kTreeBytesPerRule * scope.size() + 4096;
  std::vector<bool> evicted(rules.size(), false);
  size_t evict = std::max<size_t>(1, scope.size() / 64);
  while (true) {
    TreeBuilder builder(table, record_ids, rules, in_scope, evicted, budget);
    auto built = builder.run();
    if (built) return built;
    std::vector<uint32_t> most_copied;
    for (uint32_t i : scope)
      if (!evicted[i]) most_copied.push_back(i);
    if (most_copied.size() <= scope.size() / 2) return std::nullopt;
    const auto& copies = builder.copies();
    const size_t n = std::min(evict, most_copied.size() - scope.size() / 2);
    std::partial_sort(most_copied.begin(), most_copied.begin() + n, most_copied.end(),
                      [&](uint32_t a, uint32_t b) { return copies[a] > copies[b]; });
    for (size_t i = 0; i < n; ++i) evicted[most_copied[i]] = true;
    evict *= 2;
  }
}

}  // namespace

// Which dimensions a record is narrow in (EffiCuts' separability): half or more of an address's
// (or other component's) bits fixed, a port range of at most 256 ports. Bit i: layout component i;
// bits 30 and 31: the source and destination ports (exact ports in the packed key included).
uint32_t narrow_dims(const Table& table, const TreeRule& rule) {
  uint32_t out = 0;
  for (size_t i = 0; i < table.layout.size() && i < 30; ++i) {
    const PackedComponent& pc = table.layout[i];
    if (port_of(pc.component)) continue;  // as a port dimension
    const unsigned bits = pc.component.bits();
    const uint64_t m = (rule.mask[pc.word] >> pc.shift) & ones(bits);
    if (2 * static_cast<unsigned>(std::popcount(m)) >= bits) out |= 1u << i;
  }
  for (size_t p = 0; p < 2; ++p)
    if (rule.ports[p].max - rule.ports[p].min < 256) out |= 1u << (30 + p);
  return out;
}

TreeBuild build_trees(const Table& table, const std::vector<uint32_t>& record_ids, size_t min_group,
                      size_t max_trees) {
  std::vector<TreeRule> rules;
  for (const TableRecord& r : table.records) rules.push_back(TreeBuilder::tree_rule(table, r));
  // Records wide in a dimension are copied into every child of a cut there, so records are
  // grouped by the dimensions they are narrow in, and each tree takes one group, the largest
  // left, with every record narrow in at least its dimensions.
  std::vector<uint32_t> narrow(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) narrow[i] = narrow_dims(table, rules[i]);
  TreeBuild out;
  std::vector<uint32_t> left(rules.size());
  for (uint32_t i = 0; i < left.size(); ++i) left[i] = i;
  while (out.trees.size() < max_trees && left.size() >= min_group) {
    std::map<uint32_t, size_t> groups;
    for (uint32_t i : left) ++groups[narrow[i]];
    uint32_t dims = 0;
    size_t largest = 0;
    for (const auto& [d, n] : groups)
      if (n > largest) largest = n, dims = d;
    if (largest < min_group) break;
    std::vector<uint32_t> scope, rest;
    for (uint32_t i : left) ((narrow[i] & dims) == dims ? scope : rest).push_back(i);
    auto built = build_one(table, record_ids, rules, scope);
    if (!built) break;
    out.trees.push_back(std::move(built->tree));
    // What the tree left out joins the rest, in classification order.
    std::vector<uint32_t> merged;
    std::merge(rest.begin(), rest.end(), built->residue.begin(), built->residue.end(),
               std::back_inserter(merged));
    left = std::move(merged);
  }
  std::sort(out.trees.begin(), out.trees.end(),
            [](const Tree& a, const Tree& b) { return a.floor < b.floor; });
  out.residue.assign(left.begin(), left.end());
  return out;
}

double estimated_walk_ns(const Tree& tree) {
  // Measured on this machine (bench/classify_bench): a cut step, a record checked.
  constexpr double kStepNs = 3, kRecordNs = 5;
  size_t leaves = 0, entries = 0;
  for (const TreeNode& n : tree.nodes)
    if (n.leaf && n.count) ++leaves, entries += n.count;
  const double mean_leaf = leaves ? static_cast<double>(entries) / leaves : 0;
  return kStepNs * tree.depth + kRecordNs * mean_leaf;
}

}  // namespace tc2xdp::plan
