#include "codegen/helpers.h"

#include "tc2xdp/plan/u32_chunks.h"

namespace tc2xdp::codegen {

llvm::CallInst* call_helper(llvm::IRBuilderBase& b, BpfHelper id, llvm::Type* ret,
                            llvm::ArrayRef<llvm::Value*> args, const llvm::Twine& name) {
  std::vector<llvm::Type*> params;
  params.reserve(args.size());
  for (llvm::Value* arg : args) params.push_back(arg->getType());
  llvm::FunctionType* type = llvm::FunctionType::get(ret, params, false);
  llvm::Constant* callee = llvm::ConstantExpr::getIntToPtr(
      b.getInt64(static_cast<uint64_t>(id)), llvm::PointerType::getUnqual(b.getContext()));
  return b.CreateCall(type, callee, args, name);
}

llvm::Value* map_lookup_elem(llvm::IRBuilderBase& b, llvm::GlobalVariable* map,
                             llvm::Value* key_ptr, const llvm::Twine& name) {
  return call_helper(b, BpfHelper::kMapLookupElem, b.getPtrTy(), {map, key_ptr}, name);
}

llvm::Value* map_update_elem(llvm::IRBuilderBase& b, llvm::GlobalVariable* map,
                             llvm::Value* key_ptr, llvm::Value* value_ptr, uint64_t flags) {
  return call_helper(b, BpfHelper::kMapUpdateElem, b.getInt64Ty(),
                     {map, key_ptr, value_ptr, b.getInt64(flags)});
}

llvm::Value* u32_chunk_key(llvm::IRBuilderBase& b, llvm::Value* index) {
  static_assert(plan::kU32Chunk == 16);
  return b.CreateZExtOrTrunc(b.CreateLShr(index, llvm::ConstantInt::get(index->getType(), 4)),
                             b.getInt32Ty());
}

llvm::Value* u32_in_chunk(llvm::IRBuilderBase& b, llvm::Value* chunk, llvm::Value* index) {
  llvm::Value* at = b.CreateZExtOrTrunc(index, b.getInt64Ty());
  llvm::Value* offset =
      b.CreateShl(b.CreateAnd(at, b.getInt64(plan::kU32Chunk - 1)), b.getInt64(2));
  return b.CreateGEP(b.getInt8Ty(), chunk, offset);
}

llvm::Value* ktime_get_ns(llvm::IRBuilderBase& b) {
  return call_helper(b, BpfHelper::kKtimeGetNs, b.getInt64Ty(), {}, "now");
}

llvm::Value* ktime_get_coarse_ns(llvm::IRBuilderBase& b) {
  return call_helper(b, BpfHelper::kKtimeGetCoarseNs, b.getInt64Ty(), {}, "now_coarse");
}

void spin_lock(llvm::IRBuilderBase& b, llvm::Value* lock) {
  call_helper(b, BpfHelper::kSpinLock, b.getInt64Ty(), {lock});
}

void spin_unlock(llvm::IRBuilderBase& b, llvm::Value* lock) {
  call_helper(b, BpfHelper::kSpinUnlock, b.getInt64Ty(), {lock});
}

llvm::Value* redirect_map(llvm::IRBuilderBase& b, llvm::GlobalVariable* map, llvm::Value* key,
                          uint64_t flags) {
  llvm::Value* key64 = b.CreateZExt(key, b.getInt64Ty());
  return call_helper(b, BpfHelper::kRedirectMap, b.getInt64Ty(), {map, key64, b.getInt64(flags)},
                     "redirect");
}

llvm::Value* xdp_adjust_head(llvm::IRBuilderBase& b, llvm::Value* ctx, llvm::Value* delta) {
  llvm::Value* delta32 = b.CreateSExtOrTrunc(delta, b.getInt32Ty());
  return call_helper(b, BpfHelper::kXdpAdjustHead, b.getInt64Ty(), {ctx, delta32}, "adjusted");
}

llvm::Value* xdp_adjust_meta(llvm::IRBuilderBase& b, llvm::Value* ctx, int32_t delta) {
  return call_helper(b, BpfHelper::kXdpAdjustMeta, b.getInt64Ty(), {ctx, b.getInt32(delta)},
                     "meta_adjusted");
}

llvm::Value* csum_partial(llvm::IRBuilderBase& b, llvm::Value* to, uint32_t size,
                          llvm::Value* seed) {
  llvm::Value* null = llvm::ConstantPointerNull::get(b.getPtrTy());
  return call_helper(
      b, BpfHelper::kCsumDiff, b.getInt64Ty(),
      {null, b.getInt32(0), to, b.getInt32(size), b.CreateTrunc(seed, b.getInt32Ty())}, "csum");
}

}  // namespace tc2xdp::codegen
