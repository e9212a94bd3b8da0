// One lookup table's probe (plan/lookup.h): tuples in floor order, bucket candidates, the best.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include "codegen/lower_keys.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

struct MapRef;
class XdpFunction;

struct TableMaps {
  const MapRef* tuples = nullptr;           // kTupleMap
  llvm::GlobalVariable* records = nullptr;  // kRecordMap: `record_count` records
  uint32_t record_count = 0;
  const MapRef* spares = nullptr;        // kSpareMap
  llvm::GlobalVariable* tree = nullptr;  // kTreeMap: nodes, then entries from `tree_entries_at`
  uint32_t tree_entries_at = 0;          // in u32 words, as is `tree_words`
  uint32_t tree_words = 0;
  const MapRef* tree_key = nullptr;       // kTreeKeyMap
  llvm::GlobalVariable* flows = nullptr;  // kFlowCacheMap
  plan::FlowCache flow_cache;
  uint32_t table_index = 0;  // the table being lowered, in Plan::tables (the cache's meta names it)
  // Stack slots shared by every probe: the hash key (layout.key_size() bytes), a record id and the
  // packed key.
  llvm::AllocaInst* key_slot = nullptr;
  llvm::AllocaInst* id_slot = nullptr;
  llvm::AllocaInst* packed_slot = nullptr;     // the packet's packed key words
  llvm::AllocaInst* tree_node_slot = nullptr;  // a cut tree walk's leaf (see lower_tree.cc)
};

// The record that won, as i32 values (RecordKind, stats slot, last, arg: a goto's is the
// target's index in Table::goto_chains).
struct TableHit {
  llvm::Value* kind = nullptr;
  llvm::Value* slot = nullptr;
  llvm::Value* last = nullptr;
  llvm::Value* arg = nullptr;
};

// Emits the probe at the builder's position. Branches to `miss` when no record matches;
// otherwise returns with the builder in a block where the hit's values are available.
TableHit lower_table(XdpFunction& fn, const plan::Table& table, const plan::TableLayout& layout,
                     const ParsedKey& key, const TableMaps& maps, llvm::BasicBlock* miss);

}  // namespace tc2xdp::codegen
