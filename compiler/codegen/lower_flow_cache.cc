// The flow cache around a table's walk (plan/flow_cache.h). The packet's key picks a set of this
// CPU's region; a way holding the key under the current stamp and this table answers; else
// the walk runs and its answer is written over the way the key's hash prefers if that one is stale,
// else the first stale way, else the preferred one.
//
// For the verifier, everything that reaches the walk does so on one path: the CPU's region and the
// victim way are computed without branches (a branch there would leave different values on each
// side and have the walk verified once per side), and the only branches are the ways' hits, which
// skip the walk.
#include <bit>
#include <cstddef>
#include <string>

#include "codegen/helpers.h"
#include "codegen/lower_table_probe.h"
#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

namespace {

// Above any meta >> 24 (a 7-bit stamp and the table bit): what CPUs without a region compare with.
constexpr uint64_t kNeverMeta = uint64_t{1} << 8;

}  // namespace

std::vector<llvm::Value*> TableProbe::flow_key() {
  std::vector<llvm::Value*> out;
  for (uint32_t w = 0; w < table_.words; ++w) out.push_back(word(w));
  if (plan::flow_cache_ports_word(table_)) {
    const auto port = [&](bool range, llvm::Value* v) {
      return range && v ? private_copy(b_, v) : b_.getInt64(0);
    };
    out.push_back(b_.CreateOr(b_.CreateShl(port(table_.src_port_range, key_.src_port_host), 16),
                              port(table_.dst_port_range, key_.dst_port_host)));
  }
  return out;
}

void TableProbe::count_walk(const plan::FlowCache& cache) {
  // This CPU's line, or the CPU-less one. Found again from the CPU (an inlined read) rather than
  // kept live from the set's lookup: a value held across the ways is stack the walk lacks.
  llvm::Value* cpu = b_.CreateZExt(call_helper(b_, BpfHelper::kGetSmpProcessorId, i32_, {}), i64_);
  llvm::Value* below = optimization_barrier(b_, b_.CreateSub(cpu, b_.getInt64(cache.cpus)));
  llvm::Value* region =
      b_.CreateAdd(b_.getInt64(cache.cpus), b_.CreateAnd(below, b_.CreateAShr(below, 63)));
  llvm::Value* at = blind(optimization_barrier(
      b_, b_.CreateAdd(b_.getInt64(cache.counts_offset() + offsetof(plan::FlowCacheCounts, walks)),
                       b_.CreateMul(region, b_.getInt64(plan::kFlowCacheCountsLine)))));
  llvm::BasicBlock* add = fn_.create_block("flows.count");
  llvm::BasicBlock* counted = fn_.create_block("flows.counted");
  // Never taken; the bound is what the verifier needs.
  b_.CreateCondBr(b_.CreateICmpUGT(at, b_.getInt64(cache.bytes() - 8)), counted, add);
  b_.SetInsertPoint(add);
  llvm::Value* p = b_.CreateGEP(i8_, maps_.flows, at);
  // Only this CPU writes its line: a plain add.
  b_.CreateAlignedStore(b_.CreateAdd(b_.CreateAlignedLoad(i64_, p, llvm::Align(8)), b_.getInt64(1)),
                        p, llvm::Align(8));
  b_.CreateBr(counted);
  b_.SetInsertPoint(counted);
}

llvm::Value* TableProbe::cached_walk(llvm::BasicBlock* miss) {
  const plan::FlowCache& cache = maps_.flow_cache;
  const uint64_t key_size = cache.key_size();
  const std::string n = "flows" + std::to_string(maps_.table_index);
  const std::vector<llvm::Value*> key = flow_key();

  // Multiply-xorshift-multiply: the top bits pick the set, the ones below them the way it prefers.
  static constexpr uint64_t kMix[] = {0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9,
                                      0xd6e8feb86659fd93, 0xff51afd7ed558ccd};
  llvm::Value* h = b_.getInt64(maps_.table_index);
  for (size_t w = 0; w < key.size(); ++w)
    h = b_.CreateAdd(h, b_.CreateMul(key[w], b_.getInt64(kMix[w % 5])));
  h = b_.CreateXor(h, b_.CreateLShr(h, 29));
  h = b_.CreateMul(h, b_.getInt64(0xbf58476d1ce4e5b9));
  const unsigned bits = std::countr_zero(cache.sets);  // sets is a power of two
  llvm::Value* top = b_.CreateLShr(h, 48);
  llvm::Value* set = b_.CreateAnd(b_.CreateLShr(top, 16 - bits), cache.sets - 1);
  llvm::Value* preferred = b_.CreateAnd(b_.CreateLShr(top, 16 - plan::kFlowCacheWayBits - bits),
                                        plan::kFlowCacheWays - 1);

  // in_region: all ones on a CPU with a region, else zero (the extra set, never trusted).
  llvm::Value* cpu =
      b_.CreateZExt(call_helper(b_, BpfHelper::kGetSmpProcessorId, i32_, {}, n + ".cpu"), i64_);
  llvm::Value* below = optimization_barrier(b_, b_.CreateSub(cpu, b_.getInt64(cache.cpus)));
  llvm::Value* in_region = b_.CreateAShr(below, 63);
  llvm::Value* region = b_.CreateAdd(b_.getInt64(cache.cpus), b_.CreateAnd(below, in_region));
  set = b_.CreateAnd(set, in_region);
  // Blinded, like the victim way below: on a parser path where the key is known (a constant),
  // the verifier would know the set too, and the way's address, live across the walk, would
  // differ from other paths' and have the walk verified once per such path.
  llvm::Value* offset = blind(optimization_barrier(
      b_,
      b_.CreateAdd(b_.getInt64(plan::kFlowCacheHeader),
                   b_.CreateMul(b_.CreateAdd(b_.CreateMul(region, b_.getInt64(cache.sets)), set),
                                b_.getInt64(cache.set_size())))));
  // Never taken (the arithmetic stays inside); the bound is what the verifier needs.
  llvm::BasicBlock* inside = fn_.create_block(n + ".in");
  b_.CreateCondBr(b_.CreateICmpUGT(offset, b_.getInt64(cache.bytes() - cache.set_size())), miss,
                  inside);
  b_.SetInsertPoint(inside);
  llvm::Value* base = b_.CreateGEP(i8_, maps_.flows, offset, n + ".set");

  // The stamp is read before any table data: an answer walked from data older than a bump
  // carries the older stamp. The header holds it less one (0 to 126).
  llvm::Value* header = b_.CreateAlignedLoad(i64_, maps_.flows, llvm::Align(8), true);
  llvm::Value* stamp = b_.CreateAdd(b_.CreateAnd(header, 0x7f), b_.getInt64(1));
  llvm::Value* owner = b_.CreateOr(b_.CreateShl(stamp, 1), b_.getInt64(table_.flow_cache_tag));
  const auto select_by = [&](llvm::Value* mask, llvm::Value* if_set, llvm::Value* if_clear) {
    return b_.CreateXor(if_clear, b_.CreateAnd(b_.CreateXor(if_clear, if_set), mask));
  };
  llvm::Value* expected = select_by(in_region, owner, b_.getInt64(kNeverMeta));
  // What a claimed way holds during the walk; zero (a stamp no packet expects) without a region.
  llvm::Value* claim = b_.CreateAnd(b_.CreateShl(owner, 24), in_region);
  // A flow's answer goes to the way its hash prefers when that way is stale, and that way is read
  // first: a branch on which way holds the flow mispredicts for every flow the first read misses,
  // and at one flow per set about a third sat past way 0 when the lowest stale way took them. With
  // the preferred way, most flows are found by the first read. Else the first stale way takes it,
  // else the preferred one. Few values stay live across the ways (each one spilled is stack the
  // walk lacks): the victim is folded in as each way is read.
  llvm::BasicBlock* hit = fn_.create_block(n + ".hit");
  llvm::PHINode* hit_meta = llvm::PHINode::Create(i64_, plan::kFlowCacheWays + 1, n + ".meta", hit);
  // Compares the way whose meta is at `meta_at` and key at `key_at`; branches to `hit` if it holds
  // the key, and returns all ones if its stamp is not the expected one (-x has bit 63 set iff
  // x != 0).
  const auto read_way = [&](llvm::Value* meta_at, llvm::Value* key_at,
                            const std::vector<llvm::Value*>& words, const std::string& name) {
    llvm::Value* meta = b_.CreateZExt(load_at(meta_at, 0, i32_), i64_);
    llvm::Value* mismatch = b_.CreateXor(b_.CreateLShr(meta, 24), expected);
    for (size_t w = 0; w < words.size(); ++w)
      mismatch = b_.CreateOr(mismatch, b_.CreateXor(load_at(key_at, 8 * w, i64_), words[w]));
    llvm::Value* stamp_diff =
        optimization_barrier(b_, b_.CreateXor(b_.CreateLShr(meta, 25), b_.CreateLShr(expected, 1)));
    llvm::Value* stale = b_.CreateAShr(b_.CreateSub(b_.getInt64(0), stamp_diff), 63);
    hit_meta->addIncoming(meta, b_.GetInsertBlock());
    llvm::BasicBlock* next = fn_.create_block(name);
    b_.CreateCondBr(b_.CreateICmpEQ(blind(optimization_barrier(b_, mismatch)), b_.getInt64(0)), hit,
                    next);
    b_.SetInsertPoint(next);
    return optimization_barrier(b_, stale);
  };
  llvm::Value* preferred_stale =
      read_way(b_.CreateGEP(i8_, base, b_.CreateShl(preferred, 2)),
               b_.CreateGEP(i8_, base,
                            b_.CreateAdd(b_.CreateMul(preferred, b_.getInt64(key_size)),
                                         b_.getInt64(cache.key_offset(0)))),
               key, n + ".others");
  llvm::Value* victim = preferred;
  llvm::Value* taken = b_.getInt64(0);  // all ones once a stale way was chosen
  for (uint32_t way = 0; way < plan::kFlowCacheWays; ++way) {
    // The key is read again for each way rather than kept live (spilled) across them.
    llvm::Value* stale = read_way(b_.CreateConstGEP1_32(i8_, base, 4 * way),
                                  b_.CreateConstGEP1_32(i8_, base, cache.key_offset(way)),
                                  flow_key(), n + ".way" + std::to_string(way + 1));
    llvm::Value* take = b_.CreateAnd(stale, b_.CreateNot(taken));
    victim = optimization_barrier(b_, select_by(take, b_.getInt64(way), victim));
    taken = optimization_barrier(b_, b_.CreateOr(taken, stale));
  }
  victim = select_by(preferred_stale, preferred, victim);
  victim = b_.CreateAnd(blind(optimization_barrier(b_, victim)), plan::kFlowCacheWays - 1);
  llvm::Value* victim_meta = b_.CreateGEP(i8_, base, b_.CreateShl(victim, 2), n + ".victim");
  llvm::Value* victim_key = b_.CreateGEP(
      i8_, base,
      b_.CreateAdd(b_.CreateMul(victim, b_.getInt64(key_size)), b_.getInt64(cache.key_offset(0))));
  // The way is claimed before the walk and its answer filled in after, so only its meta's
  // address stays live (spilled) across the walk: the region is this CPU's, and nothing reads it
  // between.
  const auto store = [&](llvm::Value* at, uint32_t offset, llvm::Value* v) {
    b_.CreateAlignedStore(v, b_.CreateConstGEP1_32(i8_, at, offset),
                          llvm::Align(v->getType() == i64_ ? 8 : 4), true);
  };
  store(victim_meta, 0, b_.getInt32(0));
  const std::vector<llvm::Value*> claimed = flow_key();
  for (size_t w = 0; w < claimed.size(); ++w) store(victim_key, 8 * w, claimed[w]);
  store(victim_meta, 0, b_.CreateTrunc(claim, i32_));
  // Walks only: a hit's count cost 1-2 ns of its 20 (fw1_10k's live rate 2-3% lower), a walk's
  // is lost in the walk.
  count_walk(cache);

  walk();
  llvm::Value* answer = b_.CreateAnd(best_record_, b_.getInt64(plan::kFlowCacheNoRecord));
  store(victim_meta, 0, b_.CreateOr(load_at(victim_meta, 0, i32_), b_.CreateTrunc(answer, i32_)));
  llvm::BasicBlock* walked = b_.GetInsertBlock();
  llvm::BasicBlock* done = fn_.create_block(n + ".done");
  b_.CreateBr(done);

  // A hit: the record, or kNoRecord for the cached "no match".
  b_.SetInsertPoint(hit);
  llvm::Value* record = b_.CreateAnd(hit_meta, b_.getInt64(plan::kFlowCacheNoRecord));
  llvm::Value* none = b_.CreateLShr(b_.CreateAdd(record, b_.getInt64(1)), 24);
  record = b_.CreateOr(record, b_.CreateMul(none, b_.getInt64(0xff000000)));
  record = optimization_barrier(b_, record);
  llvm::BasicBlock* hit_end = b_.GetInsertBlock();
  b_.CreateBr(done);

  // Blinded: the verifier sees one unknown record on both ways in, and verifies what follows once.
  b_.SetInsertPoint(done);
  llvm::PHINode* out = b_.CreatePHI(i64_, 2, n + ".record");
  out->addIncoming(best_record_, walked);
  out->addIncoming(record, hit_end);
  return blind(optimization_barrier(b_, out));
}

}  // namespace tc2xdp::codegen
