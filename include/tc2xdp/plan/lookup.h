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
  // Redirect slot, action list, or for a goto the target's index in Table::goto_chains. Below
  // 2^24: the record packs it with the kind.
  uint32_t arg = 0;
};
inline constexpr uint32_t kRecordArgLimit = 1u << 24;

struct TableBucket {
  uint32_t tuple = 0;
  std::vector<uint64_t> key;  // packed words under the tuple's mask
  std::array<uint32_t, kBucketCandidates> records{kNoRecord, kNoRecord, kNoRecord, kNoRecord};
};

// A cut tree over a table's key (HiCuts-style), for tables whose rules would need many tuples.
// The program walks from the root: a cut node takes `bits` bits of one key dimension at `shift`
// as the index of its child; a leaf lists the records to check, in ordinal order, the first
// match winning. Dimensions: the packed words 0-3, then the source and destination ports in host
// order (kTreePortDim + 0/1), cut from their top bits so a child is a port interval.
// Rules a tree cannot separate within its bounds go to the next tree, built over them alone (wide
// rules cut well on other bits), or past the last one under tuples (the table's residue); each
// tree, like each tuple, is skipped once a rule at or below its floor matched. The nodes and leaves
// are map data, but the tree is part of the shape: a rule it holds leaves or joins only by a
// recompile.
inline constexpr uint32_t kTreeMaxDepth = 10;     // cuts on any path: the program's unrolled steps
inline constexpr uint32_t kTreeLeafRecords = 16;  // records a leaf lists at most
inline constexpr uint8_t kTreePortDim = 4;
inline constexpr uint32_t kTreeKeyDims = 8;  // the walk's key: u64 per dimension (6 used)
// Nodes and entries are u32s, in the program's global data (codegen::kTreeMap).
// A node is one u32 whose child and entry indexes are the tree's own: these bound a tree.
inline constexpr uint32_t kTreeMaxNodes = 1u << 18;
inline constexpr uint32_t kTreeMaxEntries = 1u << 26;

struct TreeNode {
  bool leaf = true;
  uint8_t dim = 0, shift = 0, bits = 0;  // a cut: child = first + (key[dim] >> shift & 2^bits-1)
  uint8_t count = 0;                     // a leaf: its entries
  uint32_t first = 0;  // a cut: its first child (node index); a leaf: its first entry
  bool operator==(const TreeNode&) const = default;
};

struct Tree {
  std::vector<TreeNode> nodes;             // node 0 is the root; indexes are the tree's own
  std::vector<uint32_t> entries;           // leaves' record ids
  uint32_t node_base = 0, entry_base = 0;  // where they start in the plan's maps
  uint32_t floor = 0;                      // the lowest ordinal it holds: skipped below it
  uint32_t depth = 0;                      // the most cuts on a path to a leaf
  uint32_t widest_leaf = 0;                // the most entries in a leaf
  bool operator==(const Tree&) const = default;
};

struct Table {
  uint32_t chain = 0;
  std::vector<size_t> rules;  // Plan::rules indexes covered, classification order
  // Terms every record has alike (e.g. all `protocol ip`): checked once per packet, a mismatch
  // skipping the table, and left out of the packed key and the records. Part of the shape: a rule
  // without them joins only by a recompile.
  std::vector<Term> guards;
  std::vector<PackedComponent> layout;
  uint32_t words = 0;  // packed key words in use (<= Plan::table_key_words)
  bool src_port_range = false, dst_port_range = false;  // some record checks a range
  std::vector<uint32_t> goto_chains;  // the chains its records goto (the only targets coded)
  std::vector<Tuple> tuples;          // probe order: ascending floor
  std::vector<uint32_t> spares;       // its entries in the spares map, probed after the tuples
  std::vector<Tree> trees;     // walked in order before the tuples, which then hold the residue
  bool flow_cached = false;    // its answers go through the flow cache (plan/flow_cache.h)
  uint8_t flow_cache_tag = 0;  // which of the cached tables: the cache's meta names it so
  // Data.
  std::vector<TableRecord> records;  // record id = the rule's stats slot
  std::vector<TableBucket> buckets;
};

// The maps' byte layouts, shared by codegen (loads at these offsets) and the runtime (writes).
//   key:    u32 tuple, u32 pad, u64 word[W]
//   bucket: u32 record[kBucketCandidates]
//   record: u64 mask[W], u64 value[W], u32 ordinal, u32 kind | arg << 8,
//           and when some table checks port ranges u16 sport_min, sport_max, dport_min, dport_max
//   spare:  u64 mask[W], u32 tuple, u32 floor, u32 active, u32 pad (all zero: unused)
// A record's id is its rule's stats slot, so the record does not repeat it.
struct TableLayout {
  uint32_t words = 1;        // W
  bool port_ranges = false;  // some table checks a port range
  uint32_t key_size() const { return 8 + 8 * words; }
  uint32_t record_size() const { return 16 * words + 8 + (port_ranges ? 8 : 0); }
  uint32_t mask_offset(uint32_t w) const { return 8 * w; }
  uint32_t value_offset(uint32_t w) const { return 8 * (words + w); }
  uint32_t ordinal_offset() const { return 16 * words; }
  uint32_t kind_arg_offset() const { return 16 * words + 4; }
  uint32_t ports_offset() const { return 16 * words + 8; }  // 4 x u16, if port_ranges
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
std::vector<uint8_t> encode_table_record(const TableLayout& layout, const TableRecord& record);
std::vector<uint8_t> encode_spare(const TableLayout& layout, const Tuple& tuple, bool active);
// A tree node as the program reads it, one u32. Bit 0: 1 a cut, 0 a leaf. A cut: bits 1-3 dim,
// 4-9 shift, 10-13 bits, 14-31 its first child's index within the tree. A leaf: bits 1-5 count,
// 6-31 its first entry's index within the tree. The program adds the tree's bases.
uint32_t encode_tree_node(const TreeNode& node);

}  // namespace tc2xdp::plan
