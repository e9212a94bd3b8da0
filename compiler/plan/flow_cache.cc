#include "tc2xdp/plan/flow_cache.h"

#include <algorithm>
#include <vector>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

namespace {

// The cached probe's own code, per table: the set's ways compared, the store after a walk.
constexpr uint64_t kFlowCacheInsns = 250;

bool packs_whole(const Table& table, ir::Field port) {
  return std::any_of(table.layout.begin(), table.layout.end(), [&](const PackedComponent& pc) {
    return pc.component.kind == Component::Kind::kField &&
           pc.component.index == static_cast<uint8_t>(port);
  });
}

}  // namespace

bool flow_cache_ports_word(const Table& table) {
  return (table.src_port_range && !packs_whole(table, ir::Field::kSrcPort)) ||
         (table.dst_port_range && !packs_whole(table, ir::Field::kDstPort));
}

void plan_flow_cache(Plan& plan, const PlanOptions& options) {
  plan.flow_cache = {};
  for (Table& t : plan.tables) t.flow_cached = false, t.flow_cache_tag = 0;
  if (options.flow_cache_entries == 0 || options.cpus == 0 || plan.tables.empty() ||
      plan.stats_slots >= kFlowCacheNoRecord)
    return;
  uint32_t sets = 1;
  while (sets * kFlowCacheWays < options.flow_cache_entries && sets < kFlowCacheMaxSets) sets *= 2;
  plan.flow_cache.sets = sets;
  plan.flow_cache.cpus = options.cpus;
  // The largest tables: each cached probe's hit and walk paths add to what the verifier explores
  // (18 small cached tables of a generated set took 3.6 times the instructions, and some sets
  // past the limit), while a small table's probe is cheap anyway.
  std::vector<Table*> by_size;
  for (Table& t : plan.tables) by_size.push_back(&t);
  std::stable_sort(by_size.begin(), by_size.end(), [](const Table* a, const Table* b) {
    return a->records.size() > b->records.size();
  });
  by_size.resize(std::min<size_t>(by_size.size(), kFlowCachedTables));
  for (Table* table : by_size) {
    Table& t = *table;
    t.flow_cached = true;
    plan.flow_cache.key_words =
        std::max(plan.flow_cache.key_words, t.words + (flow_cache_ports_word(t) ? 1u : 0u));
    plan.estimated_verifier_insns += kFlowCacheInsns;
  }
  uint8_t tag = 0;
  for (Table& t : plan.tables)
    if (t.flow_cached) t.flow_cache_tag = tag++;
}

}  // namespace tc2xdp::plan
