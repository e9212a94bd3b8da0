// Lowering of a plan::ActionList: the frame rewrites (vlan, pedit, csum, skbedit mark) of the rule
// that decided, run after its counters in the program's epilogue, then its verdict.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

class XdpFunction;

// Emits `list` at the builder's position and ends every path with a return. `zero` is the opaque
// runtime zero (verifier_hints.h); `redirect_map` the devmap for a redirect verdict. Packet bounds
// are reloaded inside; the caller's are reinstated before returning.
// `slot` is an [8 x i8] stack slot the lists share (values routed through it are untracked).
void lower_action_list(XdpFunction& fn, const plan::ActionList& list, llvm::Value* zero,
                       llvm::AllocaInst* slot, llvm::GlobalVariable* redirect_map);

}  // namespace tc2xdp::codegen
