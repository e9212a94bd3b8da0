#include "tc2xdp/plan/table_patch.h"

#include <algorithm>
#include <bit>
#include <set>

#include "lookup_tables.h"
#include "police_plan.h"
#include "rule_planning.h"

namespace tc2xdp::plan {

namespace {

uint32_t first_pref(const Plan& plan, const ChainUnit& unit) {
  if (unit.kind == ChainUnit::Kind::kInlineRule) return plan.rules[unit.index].pref;
  return plan.rules[plan.tables[unit.index].rules.front()].pref;
}

// A bit of the table's packed words no component covers: always zero in the packet's key, so a
// record whose value has it set never matches.
std::optional<uint32_t> poison_bit(const Table& table) {
  std::vector<uint64_t> used(table.words, 0);
  for (const PackedComponent& pc : table.layout) {
    used[pc.word] |= ones(pc.component.bits()) << pc.shift;
  }
  for (uint32_t w = 0; w < table.words; ++w)
    if (~used[w]) return 64 * w + static_cast<uint32_t>(std::countr_one(used[w]));
  return std::nullopt;
}

int popcount(const std::vector<uint64_t>& words) {
  int n = 0;
  for (uint64_t w : words) n += std::popcount(w);
  return n;
}

}  // namespace

TablePatcher::TablePatcher(const Plan& plan, PlanOptions options)
    : plan_(plan), options_(std::move(options)) {
  for (const auto& r : plan_.redirects) redirects_[r.target] = r.slot;
  slot_taken_.assign(std::min(plan_.stats_slots, plan_.table_records), false);
  for (const auto& r : plan_.rules) {
    slots_[{r.chain, r.pref, r.handle}] = r.stats_slot;
    if (r.stats_slot < slot_taken_.size()) slot_taken_[r.stats_slot] = true;
  }
  std::map<uint32_t, RuleKey> by_record;  // record id -> rule
  for (const ChainPlan& chain : plan_.chains) {
    for (size_t u = 0; u < chain.units.size(); ++u) {
      if (chain.units[u].kind != ChainUnit::Kind::kTable) continue;
      const Table& table = plan_.tables[chain.units[u].index];
      TableState state;
      state.plan_index = chain.units[u].index;
      state.chain = chain.chain;
      state.first_pref = plan_.rules[table.rules.front()].pref;
      if (u + 1 < chain.units.size()) state.next_unit_pref = first_pref(plan_, chain.units[u + 1]);
      for (uint32_t entry : table.spares) state.spares.push_back({entry, false, {}});
      for (const Tuple& tuple : table.tuples)
        next_tuple_id_ = std::max(next_tuple_id_, tuple.id + 1);
      for (const TableRecord& r : table.records) {
        const PlannedRule& pr = plan_.rules[r.rule];
        if (r.ordinal >> 16 != pr.pref) state.ordinals_by_pref = false;
        uint32_t& top = state.top_rank[pr.pref];
        top = std::max(top, r.ordinal & 0xffff);
        ordinals_[pr.stats_slot] = r.ordinal;
        by_record[pr.stats_slot] = {pr.chain, pr.pref, pr.handle};
      }
      const std::optional<uint32_t> poison = poison_bit(table);
      if (!table.trees.empty() && poison) {
        std::set<uint32_t> in_buckets;
        for (const TableBucket& b : table.buckets)
          in_buckets.insert(b.records.begin(), b.records.end());
        for (size_t i = 0; i < table.records.size(); ++i) {
          const PlannedRule& pr = plan_.rules[table.records[i].rule];
          if (!in_buckets.contains(pr.stats_slot))
            tree_held_[{pr.chain, pr.pref, pr.handle}] = {state.plan_index, i, *poison};
        }
      }
      for (const TableBucket& b : table.buckets) {
        Bytes key = encode_table_key(plan_.table_layout, b);
        for (uint32_t id : b.records) {
          if (id == kNoRecord) continue;
          bucket_of_[by_record.at(id)] = key;
        }
        buckets_[std::move(key)] = b.records;
        ++bucket_count_;
      }
      tables_.push_back(std::move(state));
    }
  }
}

TablePatcher::TableState* TablePatcher::table_for(uint32_t chain, uint32_t pref) {
  for (TableState& t : tables_)
    if (t.chain == chain && t.first_pref <= pref && pref < t.next_unit_pref) return &t;
  return nullptr;
}

std::optional<uint32_t> TablePatcher::take_slot() {
  const auto now = std::chrono::steady_clock::now();
  while (!quarantine_.empty() && now - quarantine_.front().first >= kSlotQuarantine) {
    const uint32_t slot = quarantine_.front().second;
    slot_taken_[slot] = false;
    next_free_ = std::min(next_free_, slot);
    quarantine_.erase(quarantine_.begin());
  }
  while (next_free_ < slot_taken_.size() && slot_taken_[next_free_]) ++next_free_;
  if (next_free_ == slot_taken_.size()) return std::nullopt;
  return next_free_;
}

std::optional<TableWrite> TablePatcher::add(const ir::Rule& rule, bool last_of_pref,
                                            std::string& why, Diagnostics& diags) {
  const RuleKey key{rule.chain, rule.pref, rule.handle};
  if (rule.skip_sw) return why = "skip_sw rules stay out of tables", std::nullopt;
  if (slots_.contains(key)) return why = "the filter replaces one", std::nullopt;
  if (!last_of_pref) return why = "it classifies before a filter of its pref", std::nullopt;
  // A bucket is configured and reset with the whole set (runtime/police_state.h).
  if (police_of(rule)) return why = "police buckets are set up by a whole-set change", std::nullopt;
  TableState* state = table_for(rule.chain, rule.pref);
  if (!state) return why = "no table covers its pref", std::nullopt;
  auto top = state->top_rank.find(rule.pref);
  const uint32_t rank = top == state->top_rank.end() ? 0 : top->second + 1;
  if (!state->ordinals_by_pref || rule.pref > 0xffff || rank > 0xffff)
    return why = "its ordinal does not fit", std::nullopt;
  const uint32_t ordinal = rule.pref << 16 | rank;
  const auto slot = take_slot();
  if (!slot) return why = "no free stats slot", std::nullopt;

  Diagnostics warnings;
  RedirectSlots redirects = redirects_;  // plus the rule's, if it is new
  // Action lists are code: a rule may only reuse one the program has.
  bool needs_code = false;
  const ActionSink existing_lists = [&](ActionList list, std::string& reason) {
    auto it = std::find(plan_.action_lists.begin(), plan_.action_lists.end(), list);
    if (it != plan_.action_lists.end())
      return std::optional<uint32_t>(static_cast<uint32_t>(it - plan_.action_lists.begin()));
    needs_code = true;
    reason = "new action code";
    return std::optional<uint32_t>{};
  };
  const PlannedRule pr =
      plan_rule(rule, SIZE_MAX, *slot, options_, redirects, existing_lists, warnings);
  if (needs_code) return why = "its actions need code the program does not have", std::nullopt;
  // A redirect to a device the program has no slot for takes one of the devmap's spare slots.
  std::optional<std::pair<uint32_t, uint32_t>> devmap;
  if (redirects.size() > redirects_.size()) {
    const auto added = std::find_if(redirects.begin(), redirects.end(),
                                    [&](const auto& r) { return !redirects_.contains(r.first); });
    if (added->second >= plan_.redirect_slots)
      return why = "the devmap has no slot left", std::nullopt;
    const auto ifindex = transmit_ifindex(added->first, options_);
    if (!ifindex)
      return why = "mirred target " + added->first.dev + " does not exist here", std::nullopt;
    devmap.emplace(added->second, *ifindex);
  }
  if (pr.terminal.kind == Terminal::Kind::kGotoChain ||
      pr.terminal.kind == Terminal::Kind::kContinue)
    return why = "goto and continue rules need code", std::nullopt;
  const ir::Match match = evaluated_match(rule, pr);
  ParsePlan needs;
  note_fields(rule, match, needs);
  if (!parse_covers(plan_.parse, needs))
    return why = "it keys on headers the program does not parse", std::nullopt;
  const MatchTerms terms = match_terms(match, pr);
  if (terms.never) return why = "it can never match", std::nullopt;

  const Table& table = plan_.tables[state->plan_index];
  if ((terms.src_port && !table.src_port_range) || (terms.dst_port && !table.dst_port_range))
    return why = "the table checks no such port range", std::nullopt;
  TableRecord record;
  record.ordinal = ordinal;
  record.mask.assign(table.words, 0);
  record.value.assign(table.words, 0);
  for (const Term& guard : table.guards) {
    if (std::find(terms.terms.begin(), terms.terms.end(), guard) == terms.terms.end())
      return why = "the table's rules all key " + guard.component.name() + " alike, it does not",
             std::nullopt;
  }
  for (const Term& term : terms.terms) {
    if (is_guard(table, term.component)) continue;
    auto pc = std::find_if(table.layout.begin(), table.layout.end(),
                           [&](const PackedComponent& p) { return p.component == term.component; });
    if (pc == table.layout.end())
      return why = "the table does not pack " + term.component.name(), std::nullopt;
    record.mask[pc->word] |= term.mask << pc->shift;
    record.value[pc->word] |= term.value << pc->shift;
  }
  if (terms.src_port) record.src_port = *terms.src_port;
  if (terms.dst_port) record.dst_port = *terms.dst_port;
  record.kind = record_kind(pr.terminal);
  record.arg = record.kind == RecordKind::kRedirect  ? pr.terminal.redirect_slot
               : record.kind == RecordKind::kActions ? *pr.terminal.actions
                                                     : 0;

  // The most specific tuple the probe reaches it under (a compiled tuple's floor must be at or
  // below its ordinal; a spare's floor is lowered) whose bucket for its key has room; else an
  // unused spare, under the rule's mask relaxed as the planner relaxes it.
  const auto key_under = [&](const Tuple& tuple) {
    TableBucket probe;
    probe.tuple = tuple.id;
    for (size_t w = 0; w < record.value.size(); ++w)
      probe.key.push_back(record.value[w] & tuple.mask[w]);
    return encode_table_key(plan_.table_layout, probe);
  };
  const auto has_room = [&](const Bytes& bucket_key) {
    auto it = buckets_.find(bucket_key);
    return it == buckets_.end() ? bucket_count_ < plan_.table_buckets
                                : it->second.back() == kNoRecord;
  };
  const Tuple* best = nullptr;
  Spare* best_spare = nullptr;
  Bytes best_key;
  int best_bits = -1;
  const auto consider = [&](const Tuple& tuple, Spare* spare) {
    if (!mask_within(tuple.mask, record.mask)) return;
    const int bits = popcount(tuple.mask);
    if (bits <= best_bits) return;
    Bytes bucket_key = key_under(tuple);
    if (!has_room(bucket_key)) return;
    best = &tuple;
    best_spare = spare;
    best_bits = bits;
    best_key = std::move(bucket_key);
  };
  for (const Tuple& tuple : table.tuples)
    if (tuple.floor <= ordinal) consider(tuple, nullptr);
  for (Spare& spare : state->spares)
    if (spare.active) consider(spare.tuple, &spare);
  std::vector<std::pair<uint32_t, Bytes>> spare_writes;
  if (!best) {
    auto unused = std::find_if(state->spares.begin(), state->spares.end(),
                               [](const Spare& s) { return !s.active; });
    if (unused == state->spares.end() || bucket_count_ >= plan_.table_buckets)
      return why = "no tuple of the table has room for it, and no spare is left", std::nullopt;
    std::vector<uint64_t> mask = relaxed_mask(record.mask, table.layout);
    const auto exists = [&](const std::vector<uint64_t>& m) {
      return std::any_of(table.tuples.begin(), table.tuples.end(),
                         [&](const Tuple& t) { return t.mask == m; }) ||
             std::any_of(state->spares.begin(), state->spares.end(),
                         [&](const Spare& s) { return s.active && s.tuple.mask == m; });
    };
    if (exists(mask)) mask = record.mask;
    if (exists(mask)) return why = "its bucket is full under every tuple", std::nullopt;
    unused->active = true;
    unused->tuple = Tuple{next_tuple_id_++, std::move(mask), ordinal};
    spare_writes.emplace_back(unused->entry,
                              encode_spare(plan_.table_layout, unused->tuple, false));
    spare_writes.emplace_back(unused->entry, encode_spare(plan_.table_layout, unused->tuple, true));
    best = &unused->tuple;
    best_spare = &*unused;
    best_key = key_under(*best);
  } else if (best_spare && best_spare->tuple.floor > ordinal) {
    best_spare->tuple.floor = ordinal;  // one u32 changes: no reader sees it torn
    spare_writes.emplace_back(best_spare->entry,
                              encode_spare(plan_.table_layout, best_spare->tuple, true));
  }
  (void)best;

  auto [bucket_it, fresh] = buckets_.try_emplace(best_key);
  if (fresh) {
    bucket_it->second.fill(kNoRecord);
    ++bucket_count_;
  }
  Bucket& bucket = bucket_it->second;
  auto at = std::find_if(bucket.begin(), bucket.end(), [&](uint32_t id) {
    return id == kNoRecord || ordinals_.at(id) > ordinal;
  });
  std::move_backward(at, bucket.end() - 1, bucket.end());
  *at = *slot;

  slot_taken_[*slot] = true;
  redirects_ = std::move(redirects);
  slots_[key] = *slot;
  ordinals_[*slot] = ordinal;
  bucket_of_[key] = best_key;
  state->top_rank[rule.pref] = rank;
  diags.append(warnings);
  TableBucket value;
  value.records = bucket;
  TableWrite write{key,
                   std::move(spare_writes),
                   *slot,
                   encode_table_record(plan_.table_layout, record),
                   std::move(best_key),
                   encode_table_bucket(value)};
  write.devmap = devmap;
  return write;
}

TableWrite TablePatcher::remove_from_tree(const RuleKey& key) {
  const TreeHeld held = tree_held_.at(key);
  const TableRecord& record = plan_.tables[held.table].records[held.record];
  const uint32_t bit = held.poison_bit;
  TableWrite write{key, {}, slots_.at(key), std::nullopt, {}, std::nullopt};
  write.touches_bucket = false;
  Bytes bytes = encode_table_record(plan_.table_layout, record);
  bytes[plan_.table_layout.value_offset(bit / 64) + bit % 64 / 8] |=
      static_cast<uint8_t>(1u << (bit % 8));
  write.record = std::move(bytes);
  ordinals_.erase(write.slot);
  tree_held_.erase(key);
  slots_.erase(key);  // the slot stays taken: slot_taken_ is never cleared for it
  return write;
}

std::optional<TableWrite> TablePatcher::remove(const RuleKey& key, std::string& why) {
  if (tree_held_.contains(key)) return remove_from_tree(key);
  auto filed = bucket_of_.find(key);
  if (filed == bucket_of_.end()) return why = "the filter is not in a table", std::nullopt;
  const uint32_t slot = slots_.at(key);
  TableWrite write{key, {}, slot, std::nullopt, filed->second, std::nullopt};
  Bucket& bucket = buckets_.at(write.bucket_key);
  auto at = std::find(bucket.begin(), bucket.end(), slot);
  std::move(at + 1, bucket.end(), at);
  bucket.back() = kNoRecord;
  if (bucket.front() == kNoRecord) {
    buckets_.erase(write.bucket_key);
    --bucket_count_;
  } else {
    TableBucket value;
    value.records = bucket;
    write.bucket = encode_table_bucket(value);
  }
  quarantine_.emplace_back(std::chrono::steady_clock::now(), slot);
  ordinals_.erase(slot);
  bucket_of_.erase(filed);
  slots_.erase(key);
  return write;
}

}  // namespace tc2xdp::plan
