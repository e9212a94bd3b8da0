// The table planner: which runs of rules become hash tables, their packed key, their tuples.
#include "lookup_tables.h"

#include <algorithm>
#include <bit>
#include <map>

#include "lookup_tree.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

namespace {

// Rough costs behind the cost model, from bench/classify_bench on this machine: an inline rule
// is about 1.2 ns, a tuple probe (key build, hash lookup, a candidate check) about 25 ns.
constexpr double kInlineRuleNs = 1.2;
constexpr double kTupleProbeNs = 25;
constexpr double kTableFixedNs = 20;
// Past this many rules a linear scan costs seconds of LLVM and verifier time: always a table.
constexpr size_t kInlineRuleLimit = 256;
// Verifier instructions: the parser and epilogue, an inline rule, a tuple probe (measured; the
// base with the looped parser: one acl1 rule verifies in 20,668).
constexpr uint64_t kBaseInsns = 20000, kInlineRuleInsns = 28, kTupleInsns = 220;
// The widest packed key a table takes (IPv4 5-tuples fit two words, IPv6 addresses take two each).
constexpr uint32_t kMaxTableWords = 4;
// A tree is considered for tables of at least this many records (and more than one tuple).
constexpr size_t kTreeMinRecords = 64;
constexpr size_t kForcedTreeRecords = 8;  // LookupPolicy::kAlwaysTree
// Verifier instructions per tree step and per record a leaf checks (measured).
constexpr uint64_t kTreeStepInsns = 20, kTreeRecordInsns = 60;

bool ends_classification(const PlannedRule& pr) {
  using K = Terminal::Kind;
  switch (pr.terminal.kind) {
    case K::kPass:
    case K::kPunt:
    case K::kDrop:
    case K::kRedirect:
    case K::kFanout:
    case K::kGotoChain: return true;
    case K::kContinue: return false;  // resumes at the next pref: stays inline
  }
  return false;
}

int popcount(const std::vector<uint64_t>& words) {
  int n = 0;
  for (uint64_t w : words) n += std::popcount(w);
  return n;
}

std::vector<uint64_t> masked(const std::vector<uint64_t>& value, const std::vector<uint64_t>& m) {
  std::vector<uint64_t> out(value.size());
  for (size_t w = 0; w < value.size(); ++w) out[w] = value[w] & m[w];
  return out;
}

// First fit of the components, widest first, into 64-bit words.
std::vector<PackedComponent> pack(const std::map<Component, unsigned>& components) {
  std::vector<std::pair<Component, unsigned>> order(components.begin(), components.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<unsigned> used;  // bits taken per word
  std::vector<PackedComponent> layout;
  for (const auto& [c, bits] : order) {
    size_t w = 0;
    while (w < used.size() && used[w] + bits > 64) ++w;
    if (w == used.size()) used.push_back(0);
    layout.push_back({c, static_cast<uint8_t>(w), static_cast<uint8_t>(used[w])});
    used[w] += bits;
  }
  return layout;
}

uint32_t words_of(const std::vector<PackedComponent>& layout) {
  uint32_t words = 1;
  for (const auto& pc : layout) words = std::max<uint32_t>(words, pc.word + 1);
  return words;
}

// Ordinals order a table's rules as classification does: pref << 16 | rank within the pref.
// Unlike chain positions they do not move when a rule is added under another pref, so such a
// change leaves the other records' bytes alone. A pref of 65536 rules or more falls back to
// positions (still correct).
void assign_ordinals(const Plan& plan, std::vector<std::pair<size_t, uint32_t>>& members) {
  uint32_t rank = 0;
  bool fits = true;
  for (size_t i = 0; i < members.size(); ++i) {
    const uint32_t pref = plan.rules[members[i].first].pref;
    rank = i > 0 && plan.rules[members[i - 1].first].pref == pref ? rank + 1 : 0;
    if (rank > 0xffff || pref > 0xffff) fits = false;
    members[i].second = pref << 16 | rank;
  }
  if (!fits)
    for (size_t i = 0; i < members.size(); ++i) members[i].second = static_cast<uint32_t>(i);
}

// The probe order: ascending floors (ties in filing order).
void sort_by_floor(std::vector<Tuple>& tuples) {
  std::stable_sort(tuples.begin(), tuples.end(),
                   [](const Tuple& a, const Tuple& b) { return a.floor < b.floor; });
}

bool has_term(const std::vector<Term>& terms, const Term& term) {
  return std::find(terms.begin(), terms.end(), term) != terms.end();
}

// Drops from `common` the terms `terms` lacks.
void keep_shared(std::vector<Term>& common, const std::vector<Term>& terms) {
  std::erase_if(common, [&](const Term& c) { return !has_term(terms, c); });
}

// The terms every one of `terms` has, identical: a table's guards. None for a single record, which
// would leave its record nothing to check and its tuple nothing to hash.
template <typename Member>
std::vector<Term> common_terms(const std::vector<std::pair<MatchTerms, Member>>& terms) {
  if (terms.size() < 2) return {};
  std::vector<Term> common = terms.front().first.terms;
  for (const auto& [t, member] : terms) keep_shared(common, t.terms);
  return common;
}

class TableBuilder {
 public:
  TableBuilder(Plan& plan, const ir::RuleSet& rules) : plan_(plan), rules_(rules) {}

  // A table of `members` (Plan::rules indexes, classification order; skip_sw rules included and
  // left out of the table, since flower's lookup passes over them). Ordinals are chain positions.
  Table build(uint32_t chain, const std::vector<std::pair<size_t, uint32_t>>& members) {
    Table table;
    table.chain = chain;
    std::vector<std::pair<MatchTerms, std::pair<size_t, uint32_t>>> terms;
    for (const auto& [index, ordinal] : members) {
      if (rules_.rules()[index].skip_sw) continue;
      const PlannedRule& pr = plan_.rules[index];
      MatchTerms t = match_terms(evaluated_match(rules_.rules()[index], pr), pr);
      terms.push_back({std::move(t), {index, ordinal}});
    }
    table.guards = common_terms(terms);
    std::map<Component, unsigned> components;
    for (const auto& [t, id] : terms)
      for (const Term& term : t.terms)
        if (!is_guard(table, term.component)) components[term.component] = term.component.bits();
    table.layout = pack(components);
    table.words = words_of(table.layout);
    std::map<Component, const PackedComponent*> where;
    for (const auto& pc : table.layout) where[pc.component] = &pc;

    for (const auto& [t, id] : terms) {
      const auto [index, ordinal] = id;
      const PlannedRule& pr = plan_.rules[index];
      TableRecord r;
      r.rule = index;
      r.ordinal = ordinal;
      r.mask.assign(table.words, 0);
      r.value.assign(table.words, 0);
      for (const Term& term : t.terms) {
        if (is_guard(table, term.component)) continue;
        const PackedComponent& pc = *where.at(term.component);
        r.mask[pc.word] |= term.mask << pc.shift;
        r.value[pc.word] |= term.value << pc.shift;
      }
      if (t.src_port) r.src_port = *t.src_port, table.src_port_range = true;
      if (t.dst_port) r.dst_port = *t.dst_port, table.dst_port_range = true;
      r.kind = record_kind(pr.terminal);
      r.arg = r.kind == RecordKind::kRedirect  ? pr.terminal.redirect_slot
              : r.kind == RecordKind::kActions ? *pr.terminal.actions
                                               : 0;
      if (r.kind == RecordKind::kGoto) {
        auto& targets = table.goto_chains;
        auto it = std::find(targets.begin(), targets.end(), pr.terminal.chain);
        r.arg = static_cast<uint32_t>(it - targets.begin());
        if (it == targets.end()) targets.push_back(pr.terminal.chain);
      }
      file(table, r, pr.stats_slot);
      table.rules.push_back(index);
      table.records.push_back(std::move(r));
    }
    sort_by_floor(table.tuples);
    return table;
  }

 private:
  // Files a record under the most specific tuple whose mask it covers and whose bucket has room;
  // otherwise under a new tuple. Records arrive in ordinal order, so buckets stay sorted.
  void file(Table& table, const TableRecord& r, uint32_t record_id) {
    Tuple* best = nullptr;
    size_t best_bucket = 0;
    int best_bits = -1;
    for (Tuple& tuple : table.tuples) {
      if (!mask_within(tuple.mask, r.mask)) continue;
      const int bits = popcount(tuple.mask);
      if (bits <= best_bits) continue;
      auto it = buckets_.find({tuple.id, masked(r.value, tuple.mask)});
      if (it != buckets_.end() && table.buckets[it->second].records.back() != kNoRecord) continue;
      best = &tuple;
      best_bits = bits;
      best_bucket = it == buckets_.end() ? SIZE_MAX : it->second;
    }
    if (!best) {
      // A new tuple: the rule's mask relaxed to whole bytes, unless a tuple of that mask exists
      // (its bucket for this key is full): then the rule's own, more selective mask.
      std::vector<uint64_t> mask = relaxed_mask(r.mask, table.layout);
      const auto exists = [&](const std::vector<uint64_t>& m) {
        return std::any_of(table.tuples.begin(), table.tuples.end(),
                           [&](const Tuple& t) { return t.mask == m; });
      };
      if (exists(mask)) mask = r.mask;
      table.tuples.push_back({next_tuple_id_++, std::move(mask), r.ordinal});
      best = &table.tuples.back();
      best_bucket = SIZE_MAX;
    }
    if (best_bucket == SIZE_MAX) {
      TableBucket bucket;
      bucket.tuple = best->id;
      bucket.key = masked(r.value, best->mask);
      best_bucket = table.buckets.size();
      buckets_[{bucket.tuple, bucket.key}] = best_bucket;
      table.buckets.push_back(std::move(bucket));
    }
    auto& slots = table.buckets[best_bucket].records;
    *std::find(slots.begin(), slots.end(), kNoRecord) = record_id;
    best->floor = std::min(best->floor, r.ordinal);
  }

  Plan& plan_;
  const ir::RuleSet& rules_;

 public:
  // `table` with a cut tree, its residue filed under tuples of its own.
  std::optional<Table> with_tree(const Table& table, size_t min_group, size_t max_trees) {
    std::vector<uint32_t> ids;
    for (const TableRecord& r : table.records) ids.push_back(plan_.rules[r.rule].stats_slot);
    TreeBuild built = build_trees(table, ids, min_group, max_trees);
    if (built.trees.empty()) return std::nullopt;
    Table out = table;
    out.tuples.clear();
    out.buckets.clear();
    for (size_t i : built.residue) file(out, table.records[i], ids[i]);
    sort_by_floor(out.tuples);
    out.trees = std::move(built.trees);
    return out;
  }

 private:
  std::map<std::pair<uint32_t, std::vector<uint64_t>>, size_t> buckets_;
  uint32_t next_tuple_id_ = 0;

 public:
  void continue_ids_from(const std::vector<Table>& tables) {
    for (const auto& t : tables)
      for (const auto& tuple : t.tuples) next_tuple_id_ = std::max(next_tuple_id_, tuple.id + 1);
  }
};

}  // namespace

bool is_guard(const Table& table, const Component& component) {
  return std::any_of(table.guards.begin(), table.guards.end(),
                     [&](const Term& g) { return g.component == component; });
}

// A new tuple's mask: the rule's mask with only its fully masked bytes, and address prefixes
// rounded down to kAddressGrain bits, so rules of nearby prefix lengths share it; the record check
// does the rest.
constexpr unsigned kAddressGrain =
    8;  // 16 gave more tuples on acl1_10k (70 vs 61): buckets overflow
std::vector<uint64_t> relaxed_mask(const std::vector<uint64_t>& mask,
                                   const std::vector<PackedComponent>& layout) {
  std::vector<uint64_t> out(mask.size(), 0);
  for (const PackedComponent& pc : layout) {
    const unsigned bits = pc.component.bits();
    const unsigned grain = bits >= 32 ? kAddressGrain : 8;
    for (unsigned at = 0; at + grain <= bits; at += grain) {
      const uint64_t part = ones(grain) << (pc.shift + at);
      if ((mask[pc.word] & part) == part) out[pc.word] |= part;
    }
  }
  return out;
}

RecordKind record_kind(const Terminal& t) {
  if (t.actions) return RecordKind::kActions;
  switch (t.kind) {
    case Terminal::Kind::kDrop: return RecordKind::kDrop;
    case Terminal::Kind::kRedirect: return RecordKind::kRedirect;
    case Terminal::Kind::kGotoChain: return RecordKind::kGoto;
    default: return RecordKind::kPass;
  }
}

bool mask_within(const std::vector<uint64_t>& narrow, const std::vector<uint64_t>& wide) {
  for (size_t w = 0; w < narrow.size(); ++w)
    if (narrow[w] & ~wide[w]) return false;
  return true;
}

// Where a run of rules [k, end) should end so that its last few rules, if they lack a term all
// the rules before them share (a `protocol all` catch-all after `protocol ip` rules), follow the
// table inline instead of costing it that guard, and with it a wider key and wider records.
// The tail is whole prefs of at most kGuardTailRules rules.
size_t end_before_guard_breakers(const Plan& plan, const ir::RuleSet& rules,
                                 const std::vector<size_t>& indexes, size_t k, size_t end) {
  constexpr size_t kGuardTailRules = 4;
  if (end - k <= 4 * kGuardTailRules) return end;
  size_t tail = end;
  while (tail > k) {
    const uint32_t pref = plan.rules[indexes[tail - 1]].pref;
    size_t p = tail;
    while (p > k && plan.rules[indexes[p - 1]].pref == pref) --p;
    if (end - p > kGuardTailRules) break;
    tail = p;
  }
  if (tail == end) return end;
  const auto terms_of = [&](size_t i) {
    const PlannedRule& pr = plan.rules[indexes[i]];
    return match_terms(evaluated_match(rules.rules()[indexes[i]], pr), pr).terms;
  };
  std::optional<std::vector<Term>> head;  // the terms every rule before the tail has
  for (size_t i = k; i < tail; ++i) {
    if (rules.rules()[indexes[i]].skip_sw) continue;
    const std::vector<Term> t = terms_of(i);
    if (!head) head = t;
    keep_shared(*head, t);
    if (head->empty()) return end;
  }
  // From the pref of the first rule that lacks one of them.
  for (size_t i = tail; i < end; ++i) {
    if (rules.rules()[indexes[i]].skip_sw) continue;
    const std::vector<Term> t = terms_of(i);
    const bool breaks =
        std::any_of(head->begin(), head->end(), [&](const Term& c) { return !has_term(t, c); });
    if (!breaks) continue;
    while (i > tail && plan.rules[indexes[i - 1]].pref == plan.rules[indexes[i]].pref) --i;
    return i;
  }
  return end;
}

void plan_lookup(Plan& plan, const ir::RuleSet& rules, LookupPolicy policy) {
  TableBuilder builder(plan, rules);
  uint64_t inline_rules = 0, tuples = 0;  // for the verifier estimate
  for (ChainPlan& chain : plan.chains) {
    chain.units.clear();
    const auto& indexes = chain.rules;
    size_t k = 0;
    while (k < indexes.size()) {
      // The longest run of whole prefs whose rules all end classification and whose key packs
      // into kMaxTableWords (a wider key costs hashing time and stack).
      size_t end = k;
      std::map<Component, unsigned> components;
      while (end < indexes.size()) {
        const uint32_t pref = plan.rules[indexes[end]].pref;
        size_t p = end;
        bool eligible = true;
        std::map<Component, unsigned> with = components;
        while (p < indexes.size() && plan.rules[indexes[p]].pref == pref) {
          const PlannedRule& pr = plan.rules[indexes[p]];
          const ir::Rule& rule = rules.rules()[indexes[p]];
          ++p;
          if (rule.skip_sw) continue;
          const MatchTerms terms = match_terms(evaluated_match(rule, pr), pr);
          if (!ends_classification(pr) || terms.never) eligible = false;
          for (const Term& t : terms.terms) with[t.component] = t.component.bits();
        }
        if (!eligible || words_of(pack(with)) > kMaxTableWords) break;
        components = std::move(with);
        end = p;
      }
      end = end_before_guard_breakers(plan, rules, indexes, k, end);
      const size_t run = end - k;
      bool use_table = false;
      Table table;
      if (run > 0 && policy != LookupPolicy::kInlineOnly) {
        std::vector<std::pair<size_t, uint32_t>> members;
        for (size_t i = k; i < end; ++i) members.push_back({indexes[i], 0});
        assign_ordinals(plan, members);
        table = builder.build(chain.chain, members);
        const double table_ns = kTableFixedNs + kTupleProbeNs * table.tuples.size();
        use_table = !table.records.empty() &&
                    (policy == LookupPolicy::kAlwaysTable || policy == LookupPolicy::kAlwaysTree ||
                     run > kInlineRuleLimit || table_ns < kInlineRuleNs * run);
        // Forced trees stay out of tables of a few records: medium generated sets have dozens
        // of those, and a walk in each would push the program past the BPF stack.
        const bool tree_worth_trying =
            (policy == LookupPolicy::kAlwaysTree && table.records.size() >= kForcedTreeRecords) ||
            (policy == LookupPolicy::kCostModel && table.records.size() >= kTreeMinRecords &&
             table.tuples.size() > 1);
        if (use_table && tree_worth_trying) {
          // Forced (tests): two trees down to one-rule groups, the rest under tuples, so small
          // sets exercise the walk, the floors between trees and the residue together.
          const bool forced = policy == LookupPolicy::kAlwaysTree;
          std::optional<Table> treed =
              builder.with_tree(table, forced ? 1 : kTreeMinGroup, forced ? 2 : kMaxTrees);
          double tree_ns = table_ns;
          if (treed) {
            tree_ns = kTableFixedNs + kTupleProbeNs * treed->tuples.size();
            for (const Tree& tree : treed->trees) tree_ns += estimated_walk_ns(tree);
          }
          if (treed && (policy == LookupPolicy::kAlwaysTree || tree_ns < table_ns))
            table = std::move(*treed);
        }
      }
      if (use_table) {
        for (uint32_t i = 0; i < kSpareTuples; ++i) table.spares.push_back(plan.table_spares++);
        tuples += table.tuples.size() + table.spares.size();
        chain.units.push_back({ChainUnit::Kind::kTable, plan.tables.size()});
        plan.tables.push_back(std::move(table));
        builder.continue_ids_from(plan.tables);
        k = end;
      } else {
        // An ineligible pref (run == 0), or a run too short to pay for a table: inline.
        size_t stop = end;
        if (run == 0) {
          const uint32_t pref = plan.rules[indexes[k]].pref;
          stop = k;
          while (stop < indexes.size() && plan.rules[indexes[stop]].pref == pref) ++stop;
        }
        for (; k < stop; ++k) chain.units.push_back({ChainUnit::Kind::kInlineRule, indexes[k]});
      }
    }
  }
  for (const auto& chain : plan.chains)
    for (const auto& unit : chain.units) inline_rules += unit.kind == ChainUnit::Kind::kInlineRule;
  plan.table_layout.words = 1;
  size_t buckets = 0;
  uint64_t tree_insns = 0;
  for (auto& t : plan.tables) {
    plan.table_layout.words = std::max(plan.table_layout.words, t.words);
    plan.table_layout.port_ranges |= t.src_port_range || t.dst_port_range;
    buckets += t.buckets.size();
    for (Tree& tree : t.trees) {
      tree.node_base = plan.tree_nodes;
      tree.entry_base = plan.tree_entries;
      plan.tree_nodes += static_cast<uint32_t>(tree.nodes.size());
      plan.tree_entries += static_cast<uint32_t>(tree.entries.size());
      tree_insns += kTreeStepInsns * (tree.depth + 1) + kTreeRecordInsns * tree.widest_leaf;
    }
  }
  // Headroom, so rules added later are map writes rather than a new map.
  plan.table_buckets = plan.tables.empty() ? 1 : static_cast<uint32_t>(buckets + buckets / 4 + 64);
  plan.table_records = plan.tables.empty() ? 1 : plan.stats_slots;
  plan.estimated_verifier_insns =
      kBaseInsns + kInlineRuleInsns * inline_rules + kTupleInsns * tuples + tree_insns;
}

}  // namespace tc2xdp::plan
