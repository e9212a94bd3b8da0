// The cut trees' walks (plan/lookup.h), unrolled: the tree's depth in cut steps, each one node
// read and one key dimension indexed by the node's own dim, then the leaf's records checked in
// ordinal order until one matches. The key's dimensions go to a per-CPU scratch value first, so
// a step reads its dimension at a variable offset instead of branching on which one it is (a
// branch per dimension per step would multiply the verifier's paths).
#include <string>
#include <tuple>

#include "codegen/bpf_module.h"
#include "codegen/helpers.h"
#include "codegen/lower_table_probe.h"

namespace tc2xdp::codegen {

llvm::Value* TableProbe::tree_key(llvm::BasicBlock* missing, const std::string& n) {
  b_.CreateStore(b_.getInt32(0), maps_.id_slot);
  llvm::Value* key = map_lookup_elem(b_, maps_.tree_key->global, maps_.id_slot, n);
  llvm::BasicBlock* found = fn_.create_block(n + ".found");
  b_.CreateCondBr(b_.CreateIsNull(key), missing, found);
  b_.SetInsertPoint(found);
  return key;
}

void TableProbe::fill_tree_key() {
  llvm::BasicBlock* filled = fn_.create_block("tree.filled");
  llvm::Value* key = tree_key(filled, "tree.key");  // never null: each walk checks again
  for (uint32_t w = 0; w < table_.words; ++w)
    b_.CreateAlignedStore(word(w), b_.CreateConstGEP1_32(i8_, key, 8 * w), llvm::Align(8));
  // Only ports the table checks ranges of are cut on (and kept alive this far).
  llvm::Value* const ports[2] = {table_.src_port_range ? key_.src_port_host : nullptr,
                                 table_.dst_port_range ? key_.dst_port_host : nullptr};
  for (uint32_t p = 0; p < 2; ++p) {
    llvm::Value* port = ports[p] ? private_copy(b_, ports[p]) : b_.getInt64(0);
    b_.CreateAlignedStore(port, b_.CreateConstGEP1_32(i8_, key, 8 * (plan::kTreePortDim + p)),
                          llvm::Align(8));
  }
  b_.CreateBr(filled);
  b_.SetInsertPoint(filled);
}

llvm::Value* TableProbe::load_tree_word(llvm::Value* index, llvm::BasicBlock* outside,
                                        const std::string& n) {
  // The bound is what lets the verifier accept the variable offset into the map's value.
  llvm::BasicBlock* read = fn_.create_block(n + ".read");
  b_.CreateCondBr(b_.CreateICmpUGE(index, b_.getInt64(maps_.tree_words)), outside, read);
  b_.SetInsertPoint(read);
  return b_.CreateAlignedLoad(
      i32_, b_.CreateGEP(i8_, maps_.tree, b_.CreateShl(index, b_.getInt64(2))), llvm::Align(4), n);
}

void TableProbe::walk_tree(const plan::Tree& tree) {
  llvm::BasicBlock* none = fn_.create_block("tree.none");
  llvm::BasicBlock* done = fn_.create_block("tree.done");
  llvm::BasicBlock* leaf = fn_.create_block("tree.leaf");
  std::vector<std::tuple<llvm::BasicBlock*, llvm::Value*, llvm::Value*>> found;

  // Priority pruning: nothing in the tree can beat a best at or below its floor.
  llvm::BasicBlock* walk = fn_.create_block("tree.walk");
  b_.CreateCondBr(b_.CreateICmpULE(blind(best_ordinal_), b_.getInt64(tree.floor)), none, walk);
  b_.SetInsertPoint(walk);
  // The cut steps make no helper calls: nodes are read straight from the trees' global data and
  // the key through one lookup per walk, so LLVM keeps the steps' values in registers (calls
  // clobber all but four). The leaf's node goes to a stack slot: the records' lookups follow.
  llvm::Value* key = tree_key(none, "tree.key");
  const auto leaf_node = [&] {
    return b_.CreateZExt(
        b_.CreateAlignedLoad(i32_, maps_.tree_node_slot, llvm::Align(4), /*isVolatile=*/true),
        i64_);
  };
  const auto field = [&](llvm::Value* node, unsigned at, unsigned bits) {
    return b_.CreateAnd(b_.CreateLShr(node, b_.getInt64(at)), b_.getInt64((1u << bits) - 1));
  };
  // A node (plan::encode_tree_node): bit 0 cut; a cut's dim, shift, bits and first child at bits
  // 1, 4, 10 and 14; a leaf's count and first entry at bits 1 and 6. Indexes are the tree's own.
  llvm::Value* index = b_.getInt64(tree.node_base);
  for (uint32_t step = 0; step <= tree.depth; ++step) {
    const std::string n = "tree.step" + std::to_string(step);
    llvm::Value* node32 = load_tree_word(index, none, n);
    b_.CreateAlignedStore(node32, maps_.tree_node_slot, llvm::Align(4), /*isVolatile=*/true);
    llvm::Value* is_leaf = b_.CreateICmpEQ(b_.CreateAnd(node32, b_.getInt32(1)), b_.getInt32(0));
    if (step == tree.depth) {  // the planner puts only leaves this deep
      b_.CreateCondBr(is_leaf, leaf, none);
      break;
    }
    llvm::BasicBlock* cut = fn_.create_block(n + ".cut");
    b_.CreateCondBr(is_leaf, leaf, cut);
    b_.SetInsertPoint(cut);
    llvm::Value* node = b_.CreateZExt(node32, i64_);
    static_assert(plan::kTreeKeyDims == 8);
    llvm::Value* dim = field(node, 1, 3);
    llvm::Value* shift = field(node, 4, 6);
    llvm::Value* bits = field(node, 10, 4);
    llvm::Value* value =
        load_at(b_.CreateGEP(i8_, key, b_.CreateShl(dim, b_.getInt64(3))), 0, i64_);
    llvm::Value* window = b_.CreateSub(b_.CreateShl(b_.getInt64(1), bits), b_.getInt64(1));
    llvm::Value* child = b_.CreateAnd(b_.CreateLShr(value, shift), window);
    llvm::Value* first =
        b_.CreateAdd(b_.CreateLShr(node, b_.getInt64(14)), b_.getInt64(tree.node_base));
    index = blind(b_.CreateAdd(first, child));
  }

  b_.SetInsertPoint(leaf);
  for (uint32_t i = 0; i < tree.widest_leaf; ++i) {
    const std::string n = "tree.e" + std::to_string(i);
    llvm::Value* node = leaf_node();
    llvm::Value* count = field(node, 1, 5);
    llvm::Value* first = b_.CreateAdd(b_.CreateLShr(node, b_.getInt64(6)),
                                      b_.getInt64(maps_.tree_entries_at + tree.entry_base));
    llvm::BasicBlock* entry = fn_.create_block(n);
    b_.CreateCondBr(b_.CreateICmpULE(blind(count), b_.getInt64(i)), none, entry);
    b_.SetInsertPoint(entry);
    llvm::Value* id =
        b_.CreateZExt(load_tree_word(blind(b_.CreateAdd(first, b_.getInt64(i))), none, n + ".at"),
                      i64_, n + ".id");
    // Entries are in ordinal order, as bucket candidates are (an earlier tree set the best).
    const Candidate candidate = check_candidate(n, id, none, [] {});
    found.emplace_back(b_.GetInsertBlock(), candidate.ordinal, id);
    b_.CreateBr(done);
    b_.SetInsertPoint(candidate.next);
  }
  b_.CreateBr(none);

  b_.SetInsertPoint(none);
  found.emplace_back(none, best_ordinal_, best_record_);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  llvm::PHINode* ordinal = b_.CreatePHI(i64_, found.size(), "tree.best_ordinal");
  llvm::PHINode* record = b_.CreatePHI(i64_, found.size(), "tree.best_record");
  for (const auto& [from, o, r] : found) {
    ordinal->addIncoming(o, from);
    record->addIncoming(r, from);
  }
  best_ordinal_ = optimization_barrier(b_, ordinal);
  best_record_ = optimization_barrier(b_, record);
}

}  // namespace tc2xdp::codegen
