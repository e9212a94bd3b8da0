// One rule's match as a branch-free masked compare over the parsed key.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include "codegen/lower_keys.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

// An i64 that is zero exactly when the rule accepts the key: cls_api's protocol check (outer
// ethertype or TPID), flower's n_proto, every masked field of `match` (plan::evaluated_match),
// port ranges, MPLS label stack entries, indev, and the presence of everything keyed on.
// It is built as OR(XOR(AND)) behind an optimisation barrier so that it lowers to straight-line
// arithmetic and the caller's single branch (see verifier_hints.h).
llvm::Value* lower_mismatch(llvm::IRBuilderBase& b, const ParsedKey& key, const ir::Match& match,
                            const plan::PlannedRule& planned);

}  // namespace tc2xdp::codegen
