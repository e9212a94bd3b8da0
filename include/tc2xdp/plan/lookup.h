// Hash-table lookup for long runs of rules: tuple space search with merged tuples.
//
// A table covers consecutive prefs of one chain whose rules all end classification. Each rule is a
// record (its full masks and values over the table's packed key, its port ranges, its ordinal and
// its verdict). Rules are filed under tuples: a tuple is a mask no more specific than its rules'
// masks, so the program probes one hash map per tuple with the packet's key under that mask and
// gets a bucket of up to kBucketCandidates records, lowest ordinal first, each then checked in
// full. Tuples are probed in order of their lowest ordinal and skipped once a better rule matched.
//
// Shape (in the code): the packed layout, the tuples' masks and their floors. Data (in maps): the
// buckets and the records, so most rule changes are map writes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "tc2xdp/ir/match.h"
#include "tc2xdp/plan/match_terms.h"

namespace tc2xdp::plan {

inline constexpr uint32_t kBucketCandidates = 4;
// Tuples each table leaves unused in its code, their mask, id and floor read from the spares map:
// a rule of a new mask becomes map writes, not a recompile.
inline constexpr uint32_t kSpareTuples = 2;
inline constexpr uint32_t kNoRecord = 0xffffffff;

// Where a component's value sits in a table's packed key: bits [shift, shift + bits) of word.
struct PackedComponent {
  Component component;
  uint8_t word = 0;
  uint8_t shift = 0;
  bool operator==(const PackedComponent&) const = default;
};

struct Tuple {
  uint32_t id = 0;             // unique across the plan's tables: the hash key's first member
  std::vector<uint64_t> mask;  // per packed word; within every one of its rules' masks
  uint32_t floor = 0;          // the lowest ordinal filed under it
  bool operator==(const Tuple&) const = default;
};

// How a record ends classification (the program's switch on TableRecord::kind).
// kActions: run Plan::action_lists[arg] (its rewrites, then its own verdict).
enum class RecordKind : uint32_t { kPass = 0, kDrop = 1, kRedirect = 2, kGoto = 3, kActions = 4 };

struct TableRecord {
  size_t rule = 0;                    // index into Plan::rules
  std::vector<uint64_t> mask, value;  // per packed word (the rule's full match)
  uint32_t ordinal = 0;               // position in the chain's classification order
  ir::PortRange src_port{0, 0xffff};  // host order, inclusive
  ir::PortRange dst_port{0, 0xffff};
  RecordKind kind = RecordKind::kPass;
  uint32_t arg = 0;  // redirect slot, goto chain or action list
};

struct TableBucket {
  uint32_t tuple = 0;
  std::vector<uint64_t> key;  // packed words under the tuple's mask
  std::array<uint32_t, kBucketCandidates> records{kNoRecord, kNoRecord, kNoRecord, kNoRecord};
};

struct Table {
  uint32_t chain = 0;
  std::vector<size_t> rules;  // Plan::rules indexes covered, classification order
  std::vector<PackedComponent> layout;
  uint32_t words = 0;  // packed key words in use (<= Plan::table_key_words)
  bool src_port_range = false, dst_port_range = false;  // some record checks a range
  std::vector<uint32_t> goto_chains;  // the chains its records goto (the only targets coded)
  std::vector<Tuple> tuples;          // probe order: ascending floor
  std::vector<uint32_t> spares;       // its entries in the spares map, probed after the tuples
  // Data.
  std::vector<TableRecord> records;  // record id = the rule's stats slot
  std::vector<TableBucket> buckets;
};

// The maps' byte layouts, shared by codegen (loads at these offsets) and the runtime (writes).
//   key:    u32 tuple, u32 pad, u64 word[W]
//   bucket: u32 record[kBucketCandidates]
//   record: u64 mask[W], u64 value[W], u32 ordinal, u32 kind, u32 stats_slot, u32 last,
//           u32 arg, u16 sport_min, u16 sport_max, u16 dport_min, u16 dport_max, u32 pad
//   spare:  u64 mask[W], u32 tuple, u32 floor, u32 active, u32 pad (all zero: unused)
struct TableLayout {
  uint32_t words = 1;  // W
  uint32_t key_size() const { return 8 + 8 * words; }
  uint32_t record_size() const { return 16 * words + 32; }
  uint32_t mask_offset(uint32_t w) const { return 8 * w; }
  uint32_t value_offset(uint32_t w) const { return 8 * (words + w); }
  uint32_t ordinal_offset() const { return 16 * words; }
  uint32_t kind_offset() const { return 16 * words + 4; }
  uint32_t slot_offset() const { return 16 * words + 8; }
  uint32_t last_offset() const { return 16 * words + 12; }
  uint32_t arg_offset() const { return 16 * words + 16; }
  uint32_t ports_offset() const { return 16 * words + 20; }  // 4 x u16
  static constexpr uint32_t bucket_size() { return 4 * kBucketCandidates; }
  uint32_t spare_size() const { return 8 * words + 16; }
  uint32_t spare_tuple_offset() const { return 8 * words; }
  uint32_t spare_floor_offset() const { return 8 * words + 4; }
  uint32_t spare_active_offset() const { return 8 * words + 8; }
};

// The bytes the runtime writes: a bucket's key and value, and a record.
struct PlannedRule;
std::vector<uint8_t> encode_table_key(const TableLayout& layout, const TableBucket& bucket);
std::vector<uint8_t> encode_table_bucket(const TableBucket& bucket);
std::vector<uint8_t> encode_table_record(const TableLayout& layout, const TableRecord& record,
                                         const PlannedRule& planned);
std::vector<uint8_t> encode_spare(const TableLayout& layout, const Tuple& tuple, bool active);

}  // namespace tc2xdp::plan
