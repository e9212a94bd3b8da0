// The LLVM BPF target: registered once per process, one TargetMachine per module.
#pragma once

#include <llvm/Target/TargetMachine.h>

#include <memory>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::codegen {

inline constexpr const char* kBpfTriple = "bpfel";
inline constexpr const char* kBpfCpu =
    "v4";  // v3 plus long jumps (gotol): large tables need branches past 32k insns

// Registers only the BPF target (info, MC, asm printer). Thread-safe, idempotent.
void initialize_bpf_target();

// A TargetMachine for bpfel/v3. TargetMachines are not shared across threads, so make one per use.
Result<std::unique_ptr<llvm::TargetMachine>> create_bpf_target_machine();

}  // namespace tc2xdp::codegen
