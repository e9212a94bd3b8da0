#include "codegen/bpf_target.h"

#include <llvm-c/Target.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Target/TargetOptions.h>

#include <mutex>

namespace tc2xdp::codegen {

void initialize_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
  });
}

Result<std::unique_ptr<llvm::TargetMachine>> create_bpf_target_machine() {
  initialize_bpf_target();
  std::string message;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kBpfTriple, message);
  if (target == nullptr) {
    return Error{"llvm::TargetRegistry::lookupTarget", 0,
                 "LLVM has no BPF target (" + message + "); tc2xdp needs an LLVM built with BPF"};
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(kBpfTriple, kBpfCpu, /*Features=*/"", options, std::nullopt,
                                  std::nullopt, llvm::CodeGenOptLevel::Default));
  if (!machine) return Error{"llvm::Target::createTargetMachine", 0, "for bpfel/v4"};
  return machine;
}

}  // namespace tc2xdp::codegen
