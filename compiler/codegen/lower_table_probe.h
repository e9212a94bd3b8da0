// The table probe's state, shared by the tuples' probes (lower_table.cc) and the cut tree's walk
// (lower_tree.cc).
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <functional>
#include <string>
#include <vector>

#include "codegen/lower_table.h"
#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

class TableProbe {
 public:
  TableProbe(XdpFunction& fn, const plan::Table& table, const plan::TableLayout& layout,
             const ParsedKey& key, const TableMaps& maps)
      : fn_(fn),
        b_(fn.builder()),
        table_(table),
        layout_(layout),
        key_(key),
        maps_(maps),
        i8_(b_.getInt8Ty()),
        i16_(b_.getInt16Ty()),
        i32_(b_.getInt32Ty()),
        i64_(b_.getInt64Ty()) {}

  TableHit run(llvm::BasicBlock* miss);

 private:
  // Trees, tuples and spares in turn; leaves the best record (or kNoRecord) in best_record_.
  void walk();
  // The walk behind the flow cache (lower_flow_cache.cc): the record id (i64; kNoRecord: none),
  // from the cache or from a walk whose answer is then cached.
  llvm::Value* cached_walk(llvm::BasicBlock* miss);
  // The cache key's words: the packed words, then the ports word if the table needs it.
  std::vector<llvm::Value*> flow_key();
  // Adds one to this CPU's plan::FlowCacheCounts::walks.
  void count_walk(const plan::FlowCache& cache);
  // The table's guards: a packet that fails one skips to `miss`.
  void check_guards(llvm::BasicBlock* miss);
  void pack_words();
  // The cut trees' key (lower_tree.cc): the packed words and ports, written once per packet to
  // the per-CPU scratch every walk reads.
  void fill_tree_key();
  // The scratch, looked up; `missing` if absent (never).
  llvm::Value* tree_key(llvm::BasicBlock* missing, const std::string& n);
  // A cut tree's walk (lower_tree.cc): leaves the best the tree holds, if better, in best_*.
  void walk_tree(const plan::Tree& tree);
  // u32 `index` (i64) of the trees' global data; an index past its end goes to `outside`.
  llvm::Value* load_tree_word(llvm::Value* index, llvm::BasicBlock* outside, const std::string& n);
  // One tuple's probe; returns the block its paths meet in, with the builder there.
  void probe(const plan::Tuple& tuple);
  // A spare tuple: id, floor and mask read from its spares map entry; skipped while inactive.
  void probe_spare(uint32_t spare);
  // The probe proper, from the floor check on. `mask[w]` null: the whole word.
  void probe_under(const std::string& n, llvm::Value* id, llvm::Value* floor,
                   const std::vector<llvm::Value*>& mask);
  // A candidate record `id` (bucket or leaf entry): fetched, ranked against the best (not better:
  // to `stop`, after `before_stop`, since candidates come in ordinal order), compared in full.
  // Returns with the builder where it matched; a mismatch or a missing record goes to `next`.
  struct Candidate {
    llvm::Value* ordinal = nullptr;  // i64
    llvm::BasicBlock* next = nullptr;
  };
  Candidate check_candidate(const std::string& n, llvm::Value* id, llvm::BasicBlock* stop,
                            const std::function<void()>& before_stop);
  // Record `id` (i64) of the records' global data; an id past its end goes to `outside`.
  llvm::Value* record_at(llvm::Value* id, llvm::BasicBlock* outside, const std::string& n);
  // Zero iff the record at `rec` accepts the packet (every word under its mask, port ranges).
  llvm::Value* record_mismatch(llvm::Value* rec);
  // Volatile: record fields are read where they are used, never hoisted and kept live (spilled)
  // across candidates, which would overflow the 512-byte stack on wide keys.
  llvm::Value* load_at(llvm::Value* base, uint32_t offset, llvm::Type* type) {
    return b_.CreateAlignedLoad(type, b_.CreateConstGEP1_32(i8_, base, offset),
                                llvm::Align(type->getPrimitiveSizeInBits() / 8),
                                /*isVolatile=*/true);
  }
  // A copy the verifier cannot relate to `v`: branching on it teaches nothing about `v`, so the
  // states that meet after the branch stay alike and prune.
  // Behind a barrier: LLVM would fold a compare of `C ^ zero` into a compare of zero itself, and
  // the verifier, refining zero on each branch, would learn its value and see through every
  // other blinded value after it.
  llvm::Value* blind(llvm::Value* v) {
    return optimization_barrier(b_, b_.CreateXor(v, key_.zero));
  }

  XdpFunction& fn_;
  llvm::IRBuilder<>& b_;
  const plan::Table& table_;
  const plan::TableLayout& layout_;
  const ParsedKey& key_;
  const TableMaps& maps_;
  llvm::Type *i8_, *i16_, *i32_, *i64_;
  // Word w of the packed key: two u32 halves at offsets 4 and 12 of its 16-byte slot.
  llvm::Value* word(uint32_t w) {
    const auto half = [&](uint32_t offset) {
      llvm::Value* at = b_.CreateConstGEP1_32(i8_, maps_.packed_slot, 16 * w + offset);
      return b_.CreateZExt(b_.CreateAlignedLoad(i32_, at, llvm::Align(4), /*isVolatile=*/true),
                           i64_);
    };
    return b_.CreateOr(half(4), b_.CreateShl(half(12), b_.getInt64(32)));
  }
  void store_word(uint32_t w, llvm::Value* v) {
    const auto half = [&](uint32_t offset, llvm::Value* part) {
      llvm::Value* at = b_.CreateConstGEP1_32(i8_, maps_.packed_slot, 16 * w + offset);
      b_.CreateAlignedStore(b_.CreateTrunc(part, i32_), at, llvm::Align(4), /*isVolatile=*/true);
    };
    half(4, v);
    half(12, b_.CreateLShr(v, b_.getInt64(32)));
  }
  llvm::Value* best_ordinal_ = nullptr;  // i64; above every ordinal when nothing matched
  llvm::Value* best_record_ = nullptr;   // i64 record id; kNoRecord when nothing matched
};

}  // namespace tc2xdp::codegen
