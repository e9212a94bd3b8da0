// act_police in the program (docs/semantics.md, "police"): the bucket of a police action instance
// is a map entry shared by every CPU, updated under its bpf_spin_lock; its configuration is data in
// the same entry, so a rate change is a map write.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <cstdint>
#include <optional>

#include "tc2xdp/ir/action.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

class BpfModule;
struct ProgramMaps;
namespace detail {
class ActionEmitter;
}

// Declares codegen::kPoliceMap and kPoliceStatsMap with plan.police_slots entries.
void declare_police_maps(BpfModule& module, const plan::Plan& plan, ProgramMaps& maps);

// What police steps take from the epilogue.
struct PoliceContext {
  llvm::GlobalVariable* buckets = nullptr;   // kPoliceMap
  llvm::GlobalVariable* counters = nullptr;  // kPoliceStatsMap
  // An i32 stack slot holding the deciding rule's stats slot (its own bucket's key); a shared
  // bucket's key is written over it.
  llvm::AllocaInst* key = nullptr;
};

// tcf_police_act on the frame as it is now, with the bucket `instance` (a shared one) or the
// rule's own. Its verdict: pipe continues here (the builder is moved), ok returns XDP_PASS with
// the frame as it is, drop goes to e.drop().
void emit_police(detail::ActionEmitter& e, const ir::PoliceAction& step,
                 std::optional<uint32_t> instance, const PoliceContext& ctx);

}  // namespace tc2xdp::codegen
