#include "codegen/bpf_target.h"

#include <llvm-c/Target.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/StringSaver.h>
#include <llvm/Target/TargetOptions.h>

#include <cstdlib>
#include <mutex>
#include <string_view>

namespace tc2xdp::codegen {

void initialize_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    // LLVM refuses a frame object at r10-512 (its check is "offset <= -limit"), though the
    // kernel's 512 bytes include it. 520 admits that last 8-byte slot; anything past it (a
    // 4-byte object at -516) the verifier refuses at load, naming the offset.
    // TC2XDP_LLVM_ARGS passes LLVM's own options, for work on codegen (e.g.
    // "-bpf-stack-size=2048" to see how far past the limit a program goes).
    llvm::BumpPtrAllocator allocator;
    llvm::StringSaver saver(allocator);
    llvm::SmallVector<const char*, 8> argv = {"tc2xdp"};
    const char* args = std::getenv("TC2XDP_LLVM_ARGS");
    if (!args || std::string_view(args).find("bpf-stack-size") == std::string_view::npos)
      argv.push_back("-bpf-stack-size=520");
    if (args) llvm::cl::TokenizeGNUCommandLine(args, saver, argv);
    llvm::cl::ParseCommandLineOptions(static_cast<int>(argv.size()), argv.data());
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
