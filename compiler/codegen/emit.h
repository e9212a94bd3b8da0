// Optimisation and emission of a finished BPF module, entirely in memory.
#pragma once

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <string>

#include "tc2xdp/codegen/bpf_program.h"
#include "tc2xdp/diagnostic.h"

namespace tc2xdp::codegen {

// A short LLVM pipeline (SROA, EarlyCSE, InstCombine, SimplifyCFG, DCE) with the BPF target's
// own IR passes at their usual extension points.
void optimize_module(llvm::Module& module, llvm::TargetMachine& machine);

// ELF object or BPF assembly. Code generation rewrites IR in place, so this works on a clone
// and `module` stays usable for further emissions.
Result<std::string> emit_machine_code(const llvm::Module& module, llvm::TargetMachine& machine,
                                      EmitKind kind);

std::string print_ir(const llvm::Module& module);

}  // namespace tc2xdp::codegen
