// IR shapes that keep the kernel verifier's cost linear in the number of rules.
//
// The verifier walks every path and prunes a path when its state is no more specific than one
// already verified. Two things defeat that on a long rule list: (1) values the parser produced as
// constants on some paths (ethertype 0x0800 after `if proto == ip`), which rules then compare
// with a decidable result, marking them precise and splitting states per parser path; (2) rules
// compiled as chains of branches, which teach the verifier `field == K` on partial matches.
// Both are avoided here: parsed values are blinded with a runtime zero the verifier cannot see
// through, and each rule is one OR of masked XORs behind an optimisation barrier, ending in a
// single branch.
#pragma once

#include <llvm/IR/IRBuilder.h>

namespace tc2xdp::codegen {

class XdpFunction;

// An i64 that is 0 at run time but an unknown scalar to the verifier (and to LLVM): derived from
// the packet length, which is below 2^63. XOR it into a value to hide the value's provenance.
llvm::Value* opaque_zero(XdpFunction& fn);

// Returns a value below 2^16 unchanged, through a stack slot the verifier cannot track (a 2-byte
// store and load at a misaligned offset: it reads back an unknown u16). Precision tracking stops
// there too, so a header offset routed through it does not split the verifier's states by the
// header layout that led to it, and the parser is verified once per stage rather than once per
// combination of earlier headers. `slot` is an [8 x i8] stack slot, reusable.
llvm::Value* untracked_u16(llvm::IRBuilderBase& b, llvm::AllocaInst* slot, llvm::Value* value);
// The u16 an earlier untracked_u16 left in `slot`, read back (i64) where it is needed, possibly
// after other code: an unknown u16 to the verifier.
llvm::Value* untracked_u16_load(llvm::IRBuilderBase& b, llvm::AllocaInst* slot);

// Returns `value` unchanged through an empty inline asm (libbpf's barrier_var): LLVM cannot look
// through it, so it cannot rewrite the arithmetic feeding it into compare-and-branch chains.
llvm::Value* optimization_barrier(llvm::IRBuilderBase& b, llvm::Value* value);

// The same through a volatile asm: a copy of `value` that LLVM can neither merge with another
// copy nor move. Rules read the key through these, so common subexpressions of different rules
// (`dst ^ K` for a popular K) are not hoisted and kept alive across the rule list, where they
// would be spilled one stack slot each and overflow the 512-byte stack.
llvm::Value* private_copy(llvm::IRBuilderBase& b, llvm::Value* value);

}  // namespace tc2xdp::codegen
