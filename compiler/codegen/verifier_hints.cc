#include "codegen/verifier_hints.h"

#include <llvm/IR/InlineAsm.h>

#include "codegen/xdp_function.h"

namespace tc2xdp::codegen {

llvm::Value* opaque_zero(XdpFunction& fn) {
  llvm::IRBuilder<>& b = fn.builder();
  // data_end - data: pointer minus pointer, an unknown scalar for a privileged loader.
  llvm::Value* length = b.CreateSub(b.CreatePtrToInt(fn.data_end(), b.getInt64Ty()),
                                    b.CreatePtrToInt(fn.data(), b.getInt64Ty()), "frame_len");
  length = optimization_barrier(b, length);
  // 0 - (length >> 63): the verifier knows only {0, -1}, i.e. no bit at all; at run time 0.
  return b.CreateNeg(b.CreateLShr(length, 63), "opaque_zero");
}

namespace {
llvm::Value* empty_asm(llvm::IRBuilderBase& b, llvm::Value* value, bool side_effects) {
  auto* type = llvm::FunctionType::get(value->getType(), {value->getType()}, false);
  llvm::InlineAsm* barrier = llvm::InlineAsm::get(type, "", "=r,0", side_effects);
  return b.CreateCall(type, barrier, {value});
}
}  // namespace

llvm::Value* untracked_u16(llvm::IRBuilderBase& b, llvm::AllocaInst* slot, llvm::Value* value) {
  // Volatile: LLVM must not forward the store to the load.
  llvm::Value* at = b.CreateConstGEP1_32(b.getInt8Ty(), slot, 2);
  b.CreateAlignedStore(b.CreateTrunc(value, b.getInt16Ty()), at, llvm::Align(2), true);
  llvm::Value* back = b.CreateAlignedLoad(b.getInt16Ty(), at, llvm::Align(2), true, "untracked");
  return b.CreateZExt(back, value->getType());
}

llvm::Value* untracked_u16_load(llvm::IRBuilderBase& b, llvm::AllocaInst* slot) {
  llvm::Value* at = b.CreateConstGEP1_32(b.getInt8Ty(), slot, 2);
  llvm::Value* back = b.CreateAlignedLoad(b.getInt16Ty(), at, llvm::Align(2), true, "untracked");
  return b.CreateZExt(back, b.getInt64Ty());
}

llvm::Value* optimization_barrier(llvm::IRBuilderBase& b, llvm::Value* value) {
  return empty_asm(b, value, /*side_effects=*/false);
}

llvm::Value* private_copy(llvm::IRBuilderBase& b, llvm::Value* value) {
  return empty_asm(b, value, /*side_effects=*/true);
}

}  // namespace tc2xdp::codegen
