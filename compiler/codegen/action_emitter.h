// Shared building blocks of the action lowering (lower_actions.cc, lower_csum.cc): bounds-checked
// packet access at variable offsets, verifier-friendly blinding, and branch helpers. Everything is
// scalar: no stack slot is allocated, so action code adds nothing to the program's 512-byte frame
// beyond the spills LLVM colours into shared slots.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <cstdint>

#include "codegen/verifier_hints.h"
#include "codegen/xdp_function.h"

namespace tc2xdp::codegen::detail {

class ActionEmitter {
 public:
  // `slot`: an [8 x i8] stack slot shared by every action list (see untracked_u16).
  ActionEmitter(XdpFunction& fn, llvm::Value* zero, llvm::AllocaInst* slot, llvm::BasicBlock* drop)
      : fn_(fn), b_(fn.builder()), zero_(zero), slot_(slot), drop_(drop) {}

  XdpFunction& fn() { return fn_; }
  llvm::IRBuilder<>& b() { return b_; }
  llvm::BasicBlock* drop() const { return drop_; }  // returns XDP_DROP
  llvm::Value* c64(uint64_t v) { return b_.getInt64(v); }
  llvm::BasicBlock* block(const llvm::Twine& name) { return fn_.create_block(name); }

  llvm::Value* frame_len() {
    return b_.CreateSub(b_.CreatePtrToInt(fn_.data_end(), b_.getInt64Ty()),
                        b_.CreatePtrToInt(fn_.data(), b_.getInt64Ty()), "frame_len");
  }
  // A copy of `v` (i64) the verifier cannot relate to `v`, so paths that computed it differently
  // meet in one state and prune.
  llvm::Value* blind(llvm::Value* v) { return optimization_barrier(b_, b_.CreateXor(v, zero_)); }
  // The low 16 bits of `v` through untracked_u16: an unknown u16 to the verifier, and precision
  // tracking stops there, so paths that computed it differently (a checksum chunk taken or
  // skipped, an extension header of one length or another) meet in one state and prune. For
  // values known to fit 16 bits (lengths read from headers).
  llvm::Value* bounded(llvm::Value* v) { return untracked_u16(b_, slot_, v); }
  // bounded() and masked to 15 bits: a packet offset. The verifier grants a bounds check only when
  // the offset's maximum plus the access stays within 64 KiB; offsets here are below 16.5 KiB
  // (frames are at most a page; the longest walk is 8 extension headers of 2 KiB).
  llvm::Value* offset(llvm::Value* v) { return b_.CreateAnd(bounded(v), c64(0x7fff)); }

  // data + off, checked to hold `bytes`, else to `fail`. The pointer passes a barrier, so LLVM
  // keeps the checked register (or spills it) instead of recomputing data + off after the check:
  // the verifier knows the range only of the register it saw compared.
  llvm::Value* checked(llvm::Value* off, unsigned bytes, llvm::BasicBlock* fail) {
    llvm::Value* ptr = optimization_barrier(b_, fn_.packet_pointer(off));
    llvm::BasicBlock* fits = block("fits");
    b_.CreateCondBr(
        b_.CreateICmpUGT(b_.CreateConstGEP1_32(b_.getInt8Ty(), ptr, bytes), fn_.data_end()), fail,
        fits);
    b_.SetInsertPoint(fits);
    return ptr;
  }
  llvm::Value* load_raw(llvm::Value* off, llvm::Type* type, llvm::BasicBlock* fail) {
    const unsigned bytes = type->getPrimitiveSizeInBits() / 8;
    return b_.CreateAlignedLoad(type, checked(off, bytes, fail), llvm::Align(1));
  }
  // Raw little-endian load of `bytes` (1, 2, 4 or 8) at frame offset `off` (i64), zero-extended to
  // i64; branches to `fail` when the frame is too short.
  llvm::Value* load(llvm::Value* off, unsigned bytes, llvm::BasicBlock* fail) {
    return b_.CreateZExt(load_raw(off, b_.getIntNTy(8 * bytes), fail), b_.getInt64Ty());
  }
  llvm::Value* load_at(uint64_t off, unsigned bytes, llvm::BasicBlock* fail) {
    return load(c64(off), bytes, fail);
  }
  llvm::Value* u8(llvm::Value* off, llvm::BasicBlock* fail) { return load(off, 1, fail); }
  // A big-endian u16 as a host value.
  llvm::Value* be16(llvm::Value* off, llvm::BasicBlock* fail) {
    return b_.CreateZExt(
        b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, load_raw(off, b_.getInt16Ty(), fail)),
        b_.getInt64Ty());
  }
  llvm::Value* be32(llvm::Value* off, llvm::BasicBlock* fail) {
    return b_.CreateZExt(
        b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, load_raw(off, b_.getInt32Ty(), fail)),
        b_.getInt64Ty());
  }
  // Stores the low `bytes` of `v` raw at `off`, after its own bounds check.
  void store(llvm::Value* off, unsigned bytes, llvm::Value* v, llvm::BasicBlock* fail) {
    b_.CreateAlignedStore(b_.CreateTrunc(v, b_.getIntNTy(8 * bytes)), checked(off, bytes, fail),
                          llvm::Align(1));
  }
  void store_at(uint64_t off, unsigned bytes, llvm::Value* v, llvm::BasicBlock* fail) {
    store(c64(off), bytes, v, fail);
  }

  // Goes to `target` when `cond` holds, else continues (builder moved) in a new block.
  void exit_if(llvm::Value* cond, llvm::BasicBlock* target, const llvm::Twine& name = "cont") {
    llvm::BasicBlock* cont = block(name);
    b_.CreateCondBr(cond, target, cont);
    b_.SetInsertPoint(cont);
  }
  // A frame whose first 18 bytes hold an outer 802.1Q/802.1ad tag (SkbView::of): i1.
  llvm::Value* tagged() {
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* check = block("tag.check");
    llvm::BasicBlock* join = block("tag.known");
    llvm::Value* long_enough = b_.CreateICmpUGE(frame_len(), c64(18));
    b_.CreateCondBr(long_enough, check, join);
    b_.SetInsertPoint(check);
    llvm::Value* tpid = be16(c64(12), join);
    llvm::BasicBlock* checked = b_.GetInsertBlock();
    llvm::Value* is_tag =
        b_.CreateOr(b_.CreateICmpEQ(tpid, c64(0x8100)), b_.CreateICmpEQ(tpid, c64(0x88a8)));
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode* phi = b_.CreatePHI(b_.getInt1Ty(), 3, "tagged");
    phi->addIncoming(b_.getFalse(), from);
    phi->addIncoming(b_.getFalse(), check);  // too short for the load (not reached)
    phi->addIncoming(is_tag, checked);
    return phi;
  }

 private:
  XdpFunction& fn_;
  llvm::IRBuilder<>& b_;
  llvm::Value* zero_;
  llvm::AllocaInst* slot_;
  llvm::BasicBlock* drop_;
};

// act_csum on the frame as it is now (lower_csum.cc). Continues at the builder's new position when
// done; a frame the kernel's tcf_csum would drop goes to emitter.drop().
void emit_csum(ActionEmitter& e, uint32_t flags);

}  // namespace tc2xdp::codegen::detail
