// Lowering of a plan::ActionList: the frame rewrites (vlan, pedit, csum, skbedit mark) of the rule
// that decided, run after its counters in the program's epilogue, then its verdict.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <vector>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

class XdpFunction;
struct PoliceContext;

// Emits every list, list i starting in entries[i]; every path ends with a return. `zero` is the
// opaque runtime zero (verifier_hints.h); `devmap` the devmap for a redirect verdict, fanouts[i]
// list i's own devmap when its verdict is fanout; `generation` goes into the tags of lists whose
// copies the tc companion makes; `police` what police steps need (null when no list has one).
// Packet bounds are reloaded inside; the caller's are reinstated before returning.
void lower_action_lists(XdpFunction& fn, const std::vector<plan::ActionList>& lists,
                        const std::vector<llvm::BasicBlock*>& entries, llvm::Value* zero,
                        llvm::GlobalVariable* devmap,
                        const std::vector<llvm::GlobalVariable*>& fanouts, uint8_t generation,
                        const PoliceContext* police);

}  // namespace tc2xdp::codegen
