// The probe. Per tuple: skip it if its floor cannot beat the best so far; look the key up under
// its mask; walk the bucket's candidates (lowest ordinal first) and keep the first that matches
// in full and beats the best. The best ordinal and record id live in registers merged by phis
// at each tuple's exit, start from a blinded constant and are only ever compared through blinded
// copies, so the verifier sees the same unknown scalars on every path and prunes once per tuple
// instead of once per path.
#include "codegen/lower_table.h"

#include <string>

#include "codegen/bpf_module.h"
#include "codegen/helpers.h"
#include "codegen/lower_table_probe.h"
#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

TableHit TableProbe::run(llvm::BasicBlock* miss) {
  check_guards(miss);
  pack_words();
  if (table_.flow_cached && maps_.flows) {
    best_record_ = cached_walk(miss);
  } else {
    walk();
  }

  llvm::BasicBlock* found = fn_.create_block("table.found");
  llvm::BasicBlock* fetched = fn_.create_block("table.hit");
  b_.CreateCondBr(b_.CreateICmpEQ(blind(best_record_), b_.getInt64(plan::kNoRecord)), miss, found);
  b_.SetInsertPoint(found);
  llvm::Value* rec = record_at(best_record_, miss, "winner");
  b_.CreateBr(fetched);
  b_.SetInsertPoint(fetched);
  TableHit hit;
  llvm::Value* kind_arg = load_at(rec, layout_.kind_arg_offset(), i32_);
  hit.kind = b_.CreateAnd(kind_arg, b_.getInt32(0xff));
  hit.arg = b_.CreateLShr(kind_arg, b_.getInt32(8));
  hit.slot = b_.CreateTrunc(best_record_, i32_);  // a record's id is its rule's stats slot
  hit.last = b_.CreateAdd(hit.slot, b_.getInt32(1));
  return hit;
}

void TableProbe::walk() {
  best_ordinal_ = blind(b_.getInt64(uint64_t{1} << 32));
  best_record_ = blind(b_.getInt64(plan::kNoRecord));
  if (!table_.trees.empty()) fill_tree_key();
  for (const plan::Tree& tree : table_.trees) walk_tree(tree);
  for (const plan::Tuple& tuple : table_.tuples) probe(tuple);
  for (uint32_t spare : table_.spares) probe_spare(spare);
}

// One OR of masked XORs over the guards, like an inline rule's, on private copies and through a
// blinded compare: the verifier learns nothing about the parser's values from it.
void TableProbe::check_guards(llvm::BasicBlock* miss) {
  if (table_.guards.empty()) return;
  llvm::Value* mismatch = nullptr;
  for (const plan::Term& guard : table_.guards) {
    llvm::Value* v = key_.value(guard.component);
    v = v ? private_copy(b_, v) : b_.getInt64(0);
    llvm::Value* term =
        b_.CreateXor(b_.CreateAnd(v, b_.getInt64(guard.mask)), b_.getInt64(guard.value));
    mismatch = mismatch ? b_.CreateOr(mismatch, term) : term;
  }
  llvm::BasicBlock* probe = fn_.create_block("table.guarded");
  b_.CreateCondBr(b_.CreateICmpNE(blind(mismatch), b_.getInt64(0)), miss, probe);
  b_.SetInsertPoint(probe);
}

// The packed key goes to the stack once and is reloaded where needed: kept in registers across
// every tuple it would be spilled anyway, a slot per copy, and overflow the 512-byte stack. It is
// stored as u32 halves at offsets the verifier does not track (see untracked_u16): the table's
// branches then never mark the parser's values precise, which would split the verifier's states
// by parser path and multiply the parser's verification.
void TableProbe::pack_words() {
  std::vector<llvm::Value*> words_(table_.words, nullptr);
  for (const plan::PackedComponent& pc : table_.layout) {
    llvm::Value* v = key_.value(pc.component);
    // The planner files only rules whose components the parser extracts; a gap here would be
    // a planner bug, and a constant zero keeps the program safe while the tests catch it.
    // A private copy: shared with other tables, LLVM would hoist the shifts and keep them live
    // (spilled) across the program.
    v = v ? private_copy(b_, v) : b_.getInt64(0);
    if (pc.shift) v = b_.CreateShl(v, b_.getInt64(pc.shift));
    words_[pc.word] = words_[pc.word] ? b_.CreateOr(words_[pc.word], v) : v;
  }
  for (uint32_t w = 0; w < table_.words; ++w) store_word(w, words_[w] ? words_[w] : b_.getInt64(0));
}

void TableProbe::probe(const plan::Tuple& tuple) {
  std::vector<llvm::Value*> mask(table_.words, nullptr);
  for (uint32_t w = 0; w < table_.words; ++w)
    if (tuple.mask[w] != ~uint64_t{0}) mask[w] = b_.getInt64(tuple.mask[w]);
  probe_under("t" + std::to_string(tuple.id), b_.getInt64(tuple.id), b_.getInt64(tuple.floor),
              mask);
}

void TableProbe::probe_spare(uint32_t spare) {
  const std::string n = "spare" + std::to_string(spare);
  b_.CreateStore(b_.getInt32(spare), maps_.id_slot);
  llvm::Value* entry = map_lookup_elem(b_, maps_.spares->global, maps_.id_slot, n + ".entry");
  llvm::BasicBlock* inactive = fn_.create_block(n + ".skip");
  llvm::BasicBlock* present = fn_.create_block(n + ".present");
  llvm::BasicBlock* active = fn_.create_block(n + ".active");
  llvm::BasicBlock* from = b_.GetInsertBlock();
  b_.CreateCondBr(b_.CreateIsNull(entry), inactive, present);
  b_.SetInsertPoint(present);
  llvm::Value* on = b_.CreateZExt(load_at(entry, layout_.spare_active_offset(), i32_), i64_);
  b_.CreateCondBr(b_.CreateICmpEQ(blind(on), b_.getInt64(0)), inactive, active);
  b_.SetInsertPoint(active);
  llvm::Value* id = b_.CreateZExt(load_at(entry, layout_.spare_tuple_offset(), i32_), i64_);
  llvm::Value* floor = b_.CreateZExt(load_at(entry, layout_.spare_floor_offset(), i32_), i64_);
  std::vector<llvm::Value*> mask(table_.words, nullptr);
  for (uint32_t w = 0; w < table_.words; ++w) mask[w] = load_at(entry, 8 * w, i64_);
  llvm::Value* ordinal_in = best_ordinal_;
  llvm::Value* record_in = best_record_;
  probe_under(n, id, floor, mask);
  llvm::BasicBlock* probed = b_.GetInsertBlock();
  b_.CreateBr(inactive);
  b_.SetInsertPoint(inactive);
  llvm::PHINode* ordinal = b_.CreatePHI(i64_, 3, n + ".best_ordinal");
  llvm::PHINode* record = b_.CreatePHI(i64_, 3, n + ".best_record");
  ordinal->addIncoming(ordinal_in, from);
  ordinal->addIncoming(ordinal_in, present);
  ordinal->addIncoming(best_ordinal_, probed);
  record->addIncoming(record_in, from);
  record->addIncoming(record_in, present);
  record->addIncoming(best_record_, probed);
  best_ordinal_ = optimization_barrier(b_, ordinal);
  best_record_ = optimization_barrier(b_, record);
}

void TableProbe::probe_under(const std::string& n, llvm::Value* id, llvm::Value* floor,
                             const std::vector<llvm::Value*>& mask) {
  llvm::BasicBlock* done = fn_.create_block(n + ".done");
  llvm::BasicBlock* lookup = fn_.create_block(n + ".lookup");
  // Each edge into `done` brings the (ordinal, record) it leaves with.
  std::vector<std::tuple<llvm::BasicBlock*, llvm::Value*, llvm::Value*>> incoming;
  const auto leave = [&](llvm::Value* ordinal, llvm::Value* record) {
    incoming.emplace_back(b_.GetInsertBlock(), ordinal, record);
  };

  // Priority pruning: nothing filed here can beat a best at or below the floor.
  leave(best_ordinal_, best_record_);
  b_.CreateCondBr(b_.CreateICmpULE(blind(best_ordinal_), floor), done, lookup);

  b_.SetInsertPoint(lookup);
  b_.CreateStore(id, maps_.key_slot);  // tuple id and the pad
  for (uint32_t w = 0; w < table_.words; ++w) {
    llvm::Value* masked = word(w);
    if (mask[w]) masked = b_.CreateAnd(masked, mask[w]);
    b_.CreateAlignedStore(masked, b_.CreateConstGEP1_32(i8_, maps_.key_slot, 8 + 8 * w),
                          llvm::Align(8));
  }
  // Words past this table's are zero in its buckets' keys (the map's key fits the widest table).
  for (uint32_t w = table_.words; w < layout_.words; ++w)
    b_.CreateAlignedStore(b_.getInt64(0), b_.CreateConstGEP1_32(i8_, maps_.key_slot, 8 + 8 * w),
                          llvm::Align(8));
  llvm::Value* bucket = map_lookup_elem(b_, maps_.tuples->global, maps_.key_slot, n + ".bucket");
  llvm::BasicBlock* candidates = fn_.create_block(n + ".candidates");
  leave(best_ordinal_, best_record_);
  b_.CreateCondBr(b_.CreateIsNull(bucket), done, candidates);
  b_.SetInsertPoint(candidates);

  for (uint32_t c = 0; c < plan::kBucketCandidates; ++c) {
    const std::string cn = n + ".c" + std::to_string(c);
    llvm::Value* id = b_.CreateZExt(load_at(bucket, 4 * c, i32_), i64_, cn + ".id");
    llvm::BasicBlock* fetch = fn_.create_block(cn + ".fetch");
    leave(best_ordinal_, best_record_);
    b_.CreateCondBr(b_.CreateICmpEQ(blind(id), b_.getInt64(plan::kNoRecord)), done, fetch);
    b_.SetInsertPoint(fetch);
    const Candidate candidate =
        check_candidate(cn, id, done, [&] { leave(best_ordinal_, best_record_); });
    leave(candidate.ordinal, id);
    b_.CreateBr(done);
    b_.SetInsertPoint(candidate.next);
  }
  leave(best_ordinal_, best_record_);
  b_.CreateBr(done);

  b_.SetInsertPoint(done);
  llvm::PHINode* ordinal = b_.CreatePHI(i64_, incoming.size(), n + ".best_ordinal");
  llvm::PHINode* record = b_.CreatePHI(i64_, incoming.size(), n + ".best_record");
  for (const auto& [block, o, r] : incoming) {
    ordinal->addIncoming(o, block);
    record->addIncoming(r, block);
  }
  // Merged values stay unknown to the verifier, so the next tuple is verified once.
  best_ordinal_ = optimization_barrier(b_, ordinal);
  best_record_ = optimization_barrier(b_, record);
}

TableProbe::Candidate TableProbe::check_candidate(const std::string& n, llvm::Value* id,
                                                  llvm::BasicBlock* stop,
                                                  const std::function<void()>& before_stop) {
  Candidate out;
  out.next = fn_.create_block(n + ".next");
  llvm::Value* rec = record_at(id, out.next, n + ".rec");
  out.ordinal = b_.CreateZExt(load_at(rec, layout_.ordinal_offset(), i32_), i64_);
  // Candidates are in ordinal order: once one cannot beat the best, none after it can.
  llvm::BasicBlock* check = fn_.create_block(n + ".check");
  before_stop();
  b_.CreateCondBr(b_.CreateICmpUGE(blind(out.ordinal), blind(best_ordinal_)), stop, check);
  b_.SetInsertPoint(check);
  llvm::BasicBlock* take = fn_.create_block(n + ".take");
  b_.CreateCondBr(b_.CreateICmpEQ(record_mismatch(rec), b_.getInt64(0)), take, out.next);
  b_.SetInsertPoint(take);
  return out;
}

llvm::Value* TableProbe::record_at(llvm::Value* id, llvm::BasicBlock* outside,
                                   const std::string& n) {
  // The bound is what lets the verifier accept the variable offset into the map's value.
  llvm::BasicBlock* inside = fn_.create_block(n + ".in");
  b_.CreateCondBr(b_.CreateICmpUGE(id, b_.getInt64(maps_.record_count)), outside, inside);
  b_.SetInsertPoint(inside);
  // Opaque: LLVM would otherwise merge the candidates' address arithmetic across blocks and keep
  // it live (spilled) on a stack that is tight already.
  llvm::Value* offset =
      optimization_barrier(b_, b_.CreateMul(id, b_.getInt64(layout_.record_size())));
  return b_.CreateGEP(i8_, maps_.records, offset, n);
}

llvm::Value* TableProbe::record_mismatch(llvm::Value* rec) {
  llvm::Value* mismatch = nullptr;
  const auto add = [&](llvm::Value* term) {
    mismatch = mismatch ? b_.CreateOr(mismatch, term) : term;
  };
  // The loads are volatile, so they happen in this order: each one is used as soon as it is
  // read, and no more than one record field waits in a register.
  for (uint32_t w = 0; w < table_.words; ++w) {
    llvm::Value* masked = b_.CreateAnd(word(w), load_at(rec, layout_.mask_offset(w), i64_));
    add(b_.CreateXor(masked, load_at(rec, layout_.value_offset(w), i64_)));
  }
  // min <= port <= max without a branch: d = port - min and (max - min) - d are both
  // non-negative exactly then (16-bit operands in 64-bit arithmetic cannot overflow). A compare
  // here would become a branch and a constant on each side, which the verifier then tracks.
  const auto range = [&](llvm::Value* port, uint32_t offset) {
    if (!port) port = b_.getInt64(0);
    llvm::Value* min = b_.CreateZExt(load_at(rec, offset, i16_), i64_);
    llvm::Value* max = b_.CreateZExt(load_at(rec, offset + 2, i16_), i64_);
    llvm::Value* d = b_.CreateSub(port, min);
    llvm::Value* over = b_.CreateSub(b_.CreateSub(max, min), d);
    add(b_.CreateAnd(b_.CreateOr(d, over), b_.getInt64(uint64_t{1} << 63)));
  };
  if (table_.src_port_range) range(key_.src_port_host, layout_.ports_offset());
  if (table_.dst_port_range) range(key_.dst_port_host, layout_.ports_offset() + 4);
  return optimization_barrier(b_, mismatch ? mismatch : b_.getInt64(0));
}

TableHit lower_table(XdpFunction& fn, const plan::Table& table, const plan::TableLayout& layout,
                     const ParsedKey& key, const TableMaps& maps, llvm::BasicBlock* miss) {
  return TableProbe(fn, table, layout, key, maps).run(miss);
}

}  // namespace tc2xdp::codegen
