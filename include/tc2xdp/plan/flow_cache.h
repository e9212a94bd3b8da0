// The flow cache: per CPU, the table probe's answer for the packet keys it saw last, so a flow's
// later packets skip the trees and tuples. An entry is the table's key (its packed words, plus a
// ports word when a port range checks a port the words leave out: a table's answer depends on
// nothing else once its guards passed) and a meta word naming the stamp, the table and the
// record (or none). Every map write that can change a table's answer is followed by a stamp
// bump (runtime/flow_cache.h), which retires every entry at once.
//
// Layout of the global data (codegen::kFlowCacheMap):
//   u64 stamp - 1 (0 to kFlowCacheStamps - 1), u64 sets | key_words << 32, u64 cpus (the layout,
//   written by the runtime before the program runs, for the runtime), padding to kFlowCacheHeader;
//   then per CPU `sets` sets of kFlowCacheWays entries, the metas first and the keys after them:
//   u32 meta[kFlowCacheWays], u64 key[kFlowCacheWays][key_words];
//   meta = stamp << 25 | table << 24 | record (kFlowCacheNoRecord: no match), table being
//   Table::flow_cache_tag;
//   then one more set, written and never trusted by CPUs past `cpus`;
//   then a 64-byte line per CPU, and one for CPUs past them: u64 walks (the probes the cache did
//   not answer, which walked the tables).
// An empty entry (meta 0) never matches: stamps start at 1. A 7-bit stamp keeps the meta to a u32
// (a u64 meta made a 2-word entry 24 bytes instead of 20); the runtime empties the ways of each
// half of the stamps' cycle before they come round (runtime/flow_cache.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tc2xdp::plan {

struct Table;
struct Plan;
struct PlanOptions;

inline constexpr uint32_t kFlowCacheWayBits = 2;
inline constexpr uint32_t kFlowCacheWays = 1u << kFlowCacheWayBits;
inline constexpr uint32_t kFlowCacheHeader = 64;  // the stamp's cache line
inline constexpr uint32_t kFlowCacheNoRecord = 0xffffff;
inline constexpr size_t kFlowCachedTables = 2;  // the tables with the most records: the meta's bit
static_assert(kFlowCachedTables <= 2, "the meta names a cached table with one bit");
inline constexpr uint32_t kFlowCacheLayoutOffset = 8;  // the header's layout words
inline constexpr uint32_t kFlowCacheCountsLine = 64;   // a CPU's walks
inline constexpr uint32_t kFlowCacheStamps = 127;      // stamps 1 to 127: the meta's top 7 bits
// The set and a spare way come from 16 hash bits.
inline constexpr uint32_t kFlowCacheMaxSets = 1u << (16 - kFlowCacheWayBits);
// The default per-CPU size: the benchmark trace's 1,024 flows fit with few set conflicts.
inline constexpr uint32_t kDefaultFlowCacheEntries = 4096;

struct FlowCache {
  uint32_t sets = 0;       // per CPU, a power of two up to kFlowCacheMaxSets; 0: no cache
  uint32_t cpus = 0;       // CPUs with a region; packets on a CPU past them are not cached
  uint32_t key_words = 0;  // the widest cached table's key
  bool enabled() const { return sets != 0; }
  uint32_t key_size() const { return 8 * key_words; }
  uint32_t key_offset(uint32_t way) const { return 4 * kFlowCacheWays + way * key_size(); }
  uint32_t set_size() const { return key_offset(kFlowCacheWays); }
  uint64_t region_size() const { return uint64_t{sets} * set_size(); }
  uint64_t counts_offset() const {
    return kFlowCacheHeader + uint64_t{cpus} * region_size() + set_size();
  }
  uint64_t bytes() const { return counts_offset() + (uint64_t{cpus} + 1) * kFlowCacheCountsLine; }
  bool operator==(const FlowCache&) const = default;
};

// A CPU's line of counts (the layout above).
struct FlowCacheCounts {
  uint64_t walks = 0;  // probes that walked the tables (and filled a way): the cache's misses
};

// Whether `table`'s key needs the ports word: it checks a port range on a port its packed words
// do not hold whole.
bool flow_cache_ports_word(const Table& table);

// Sizes the cache from the options (PlanOptions::flow_cache_entries per CPU, rounded up to whole
// sets and a power of two of them; PlanOptions::cpus) and marks the tables it serves (the
// kFlowCachedTables with the most records, tagged in table order). No cache without tables or
// with slots past the meta's record field.
void plan_flow_cache(Plan& plan, const PlanOptions& options);

}  // namespace tc2xdp::plan
