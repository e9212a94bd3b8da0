// Collects LLVM's diagnostics instead of letting the default handler print them and exit(1)
// (the BPF backend reports e.g. an overflowing stack as a diagnostic error).
#pragma once

#include <llvm/IR/DiagnosticHandler.h>
#include <llvm/IR/DiagnosticInfo.h>

#include <string>
#include <vector>

namespace tc2xdp::codegen {

struct LlvmDiagnostics {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

class CollectingDiagnosticHandler : public llvm::DiagnosticHandler {
 public:
  explicit CollectingDiagnosticHandler(LlvmDiagnostics* sink) : sink_(sink) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo& info) override;

 private:
  LlvmDiagnostics* sink_;
};

}  // namespace tc2xdp::codegen
