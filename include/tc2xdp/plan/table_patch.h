// In-place edits of a live program's hash tables: one rule filed into, or taken out of, the
// tables without planning the whole rule set again, so a change costs microseconds at any size.
//
// The patcher holds a copy of what the live maps contain (buckets, record ordinals, where each
// rule sits) and of the shape the program was compiled with (tables' layouts, tuples, floors, the
// parse plan). It files a rule only where the compiled code already finds it: under an existing
// tuple whose floor is at or below the rule's ordinal (or a spare tuple, whose floor is data), in
// a bucket with room, with components the table packs and headers the program parses; a rule of a
// new mask takes one of the table's unused spare tuples. Anything else is refused with the
// reason, and the caller plans the whole set (a data-only diff or a recompile).
//
// The maps it leaves are correct but not necessarily what make_plan would file from scratch, so
// the whole-set planner must not diff against a re-planned copy of them (the runtime records that
// the tables were edited in place).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/lookup.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

using Bytes = std::vector<uint8_t>;

// The map writes that put one rule in or take it out, in the order they must be published.
struct TableWrite {
  RuleKey rule;
  // Spare tuple entries (spares map index, bytes), written first: an activation is written
  // inactive then active, so no reader sees an active entry with half a mask.
  std::vector<std::pair<uint32_t, Bytes>> spares;
  uint32_t slot = 0;            // the rule's stats slot (a fresh one, for an add)
  std::optional<Bytes> record;  // adds: the record at id `slot`, written before the bucket
  Bytes bucket_key;             // the bucket replaced whole (one atomic hash update) ...
  std::optional<Bytes> bucket;  // ... with this value, or deleted when nullopt
  bool touches_bucket = true;   // false: a rule a cut tree holds, taken out by its record alone
  // A redirect target new to the program: devmap slot and ifindex, written before the record.
  std::optional<std::pair<uint32_t, uint32_t>> devmap;
};

class TablePatcher {
 public:
  // `plan` is the live program's plan, made with its maps' sizes and `options`.
  TablePatcher(const Plan& plan, PlanOptions options);

  // Files `rule` (already in the rule set, pref and handle resolved; `last_of_pref`: no rule of
  // its pref classifies after it). Returns the writes, or nullopt with `why` and nothing changed.
  // A punted rule is filed as a pass, as the planner does; its warning goes to `diags`.
  std::optional<TableWrite> add(const ir::Rule& rule, bool last_of_pref, std::string& why,
                                Diagnostics& diags);

  // Takes the rule out of its bucket. Its record stays (no bucket names it); its slot is reused
  // only after kSlotQuarantine, when no packet that read the old bucket can still be running.
  // A rule a cut tree holds (whose leaves cannot change in place) keeps its leaf entries: its
  // record is rewritten with one bit of its value set where the table packs nothing, so it
  // never matches again. That bit's byte is the only one that changes, so a packet reading the
  // record meanwhile sees it whole, before or after. Its slot is never reused while the tree
  // lives: a leaf lists its entries in ordinal order, and another rule's ordinal there would
  // end the walk early.
  std::optional<TableWrite> remove(const RuleKey& key, std::string& why);

  // Whether the rule has a record in a bucket or a tree (so remove can take it out).
  bool is_filed(const RuleKey& key) const {
    return bucket_of_.contains(key) || tree_held_.contains(key);
  }

  // Every rule's stats slot, as the live program counts them.
  const std::map<RuleKey, uint32_t>& slots() const { return slots_; }

  static constexpr std::chrono::milliseconds kSlotQuarantine{50};

 private:
  struct Spare {
    uint32_t entry = 0;  // index in the spares map
    bool active = false;
    Tuple tuple;  // id, mask, floor once active
  };
  struct TableState {
    size_t plan_index = 0;
    std::vector<Spare> spares;
    uint32_t chain = 0;
    uint32_t first_pref = 0;
    uint32_t next_unit_pref = UINT32_MAX;   // the first pref after the table in its chain
    bool ordinals_by_pref = true;           // pref << 16 | rank (not positions)
    std::map<uint32_t, uint32_t> top_rank;  // pref -> highest rank filed
  };
  using Bucket = std::array<uint32_t, kBucketCandidates>;

  std::optional<uint32_t> take_slot();
  TableState* table_for(uint32_t chain, uint32_t pref);

  Plan plan_;  // the live shape; its tables' record and bucket lists are not kept up to date
  PlanOptions options_;
  std::map<DeviceTarget, uint32_t> redirects_;  // mirred target -> devmap slot
  std::vector<TableState> tables_;
  std::map<Bytes, Bucket> buckets_;        // encoded key -> record ids, as in the map
  std::map<uint32_t, uint32_t> ordinals_;  // record id -> ordinal
  std::map<RuleKey, Bytes> bucket_of_;     // rules with a record: the key of their bucket
  // Rules cut trees hold, in tables with a bit to poison: where their record is in plan_.
  struct TreeHeld {
    size_t table = 0, record = 0;
    uint32_t poison_bit = 0;  // a packed bit no component covers (always zero in the key)
  };
  std::map<RuleKey, TreeHeld> tree_held_;
  TableWrite remove_from_tree(const RuleKey& key);
  std::map<RuleKey, uint32_t> slots_;
  std::vector<bool> slot_taken_;  // by slot; sized min(stats, records) capacity
  std::vector<std::pair<std::chrono::steady_clock::time_point, uint32_t>> quarantine_;
  uint32_t next_free_ = 0;
  size_t bucket_count_ = 0;
  uint32_t next_tuple_id_ = 0;  // for spare tuples: above every compiled tuple's
};

}  // namespace tc2xdp::plan
