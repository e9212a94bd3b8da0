#include "codegen/xdp_function.h"

#include <llvm/IR/DebugInfoMetadata.h>

#include "codegen/bpf_module.h"

namespace tc2xdp::codegen {

XdpFunction::XdpFunction(BpfModule& module, llvm::Function* function)
    : module_(module), b_(module.builder()), function_(function), ctx_(function->getArg(0)) {
  b_.SetInsertPoint(llvm::BasicBlock::Create(b_.getContext(), "entry", function_));
  set_line(1);
  reload_packet_bounds();
}

llvm::BasicBlock* XdpFunction::create_block(const llvm::Twine& name) {
  return llvm::BasicBlock::Create(b_.getContext(), name, function_);
}

llvm::AllocaInst* XdpFunction::create_stack_slot(llvm::Type* type, const llvm::Twine& name) {
  llvm::BasicBlock& entry = function_->getEntryBlock();
  llvm::IRBuilder<> at_entry(&entry, entry.getFirstInsertionPt());
  return at_entry.CreateAlloca(type, nullptr, name);
}

llvm::Value* XdpFunction::load_ctx(XdpMdField field, const llvm::Twine& name) {
  llvm::Value* address = b_.CreateConstGEP1_32(b_.getInt8Ty(), ctx_, static_cast<uint32_t>(field));
  return b_.CreateAlignedLoad(b_.getInt32Ty(), address, llvm::Align(4), name);
}

void XdpFunction::reload_packet_bounds() {
  // xdp_md holds u32s; the kernel rewrites these loads into pointer loads from xdp_buff, and
  // the verifier tracks the results as packet pointers, so zext + inttoptr is what it expects.
  auto as_pointer = [this](XdpMdField field, const char* name) {
    llvm::Value* raw = load_ctx(field, llvm::Twine(name) + ".u32");
    return b_.CreateIntToPtr(b_.CreateZExt(raw, b_.getInt64Ty()), b_.getPtrTy(), name);
  };
  data_ = as_pointer(XdpMdField::kData, "data");
  data_end_ = as_pointer(XdpMdField::kDataEnd, "data_end");
}

llvm::Value* XdpFunction::packet_pointer(llvm::Value* offset, const llvm::Twine& name) {
  return b_.CreateGEP(b_.getInt8Ty(), data_, b_.CreateZExt(offset, b_.getInt64Ty()), name);
}

void XdpFunction::check_packet(llvm::Value* offset, uint32_t size, llvm::BasicBlock* too_short) {
  llvm::Value* end_offset = b_.CreateAdd(b_.CreateZExt(offset, b_.getInt64Ty()), b_.getInt64(size));
  llvm::Value* end = b_.CreateGEP(b_.getInt8Ty(), data_, end_offset, "need_end");
  llvm::Value* short_packet = b_.CreateICmpUGT(end, data_end_, "too_short");
  llvm::BasicBlock* fits = create_block("fits");
  b_.CreateCondBr(short_packet, too_short, fits);
  b_.SetInsertPoint(fits);
}

llvm::Value* XdpFunction::load_packet(llvm::Value* offset, llvm::Type* type,
                                      llvm::BasicBlock* too_short, const llvm::Twine& name) {
  const uint64_t size = module_.module().getDataLayout().getTypeStoreSize(type);
  check_packet(offset, static_cast<uint32_t>(size), too_short);
  llvm::Value* pointer = packet_pointer(offset);
  return b_.CreateLoad(type, pointer, name);  // natural (ABI) alignment, see the header
}

llvm::Value* XdpFunction::load_packet(uint32_t offset, llvm::Type* type,
                                      llvm::BasicBlock* too_short, const llvm::Twine& name) {
  return load_packet(b_.getInt64(offset), type, too_short, name);
}

llvm::ConstantInt* XdpFunction::network_constant(uint64_t host_value, uint32_t bytes) {
  uint64_t swapped = 0;
  for (uint32_t i = 0; i < bytes; ++i) {
    swapped = (swapped << 8) | ((host_value >> (8 * i)) & 0xff);
  }
  return llvm::ConstantInt::get(b_.getIntNTy(bytes * 8), swapped);
}

void XdpFunction::set_line(unsigned line) {
  b_.SetCurrentDebugLocation(
      llvm::DILocation::get(b_.getContext(), line, 0, function_->getSubprogram()));
}

void XdpFunction::return_action(XdpAction action) {
  b_.CreateRet(b_.getInt32(static_cast<uint32_t>(action)));
}

void XdpFunction::return_value(llvm::Value* action) {
  b_.CreateRet(b_.CreateZExtOrTrunc(action, b_.getInt32Ty()));
}

}  // namespace tc2xdp::codegen
