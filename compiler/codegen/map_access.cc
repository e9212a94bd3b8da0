#include "codegen/map_access.h"

#include "codegen/bpf_module.h"
#include "codegen/helpers.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

llvm::Value* lookup_by_value(XdpFunction& fn, const MapRef& map, llvm::Value* key,
                             const llvm::Twine& name) {
  llvm::IRBuilder<>& b = fn.builder();
  llvm::AllocaInst* slot = fn.create_stack_slot(key->getType(), "key");
  b.CreateStore(key, slot);
  return map_lookup_elem(b, map.global, slot, name);
}

void add_to_counter(XdpFunction& fn, const MapRef& map, llvm::Value* index, llvm::Value* delta,
                    uint32_t byte_offset) {
  llvm::IRBuilder<>& b = fn.builder();
  llvm::Value* value = lookup_by_value(fn, map, index, "counter");
  llvm::BasicBlock* present = fn.create_block("counter.present");
  llvm::BasicBlock* done = fn.create_block("counter.done");
  b.CreateCondBr(b.CreateIsNull(value), done, present);
  b.SetInsertPoint(present);
  llvm::Value* field = b.CreateConstGEP1_32(b.getInt8Ty(), value, byte_offset);
  llvm::Value* old_count = b.CreateAlignedLoad(b.getInt64Ty(), field, llvm::Align(8));
  llvm::Value* addend = b.CreateZExtOrTrunc(delta, b.getInt64Ty());
  b.CreateAlignedStore(b.CreateAdd(old_count, addend), field, llvm::Align(8));
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

}  // namespace tc2xdp::codegen
