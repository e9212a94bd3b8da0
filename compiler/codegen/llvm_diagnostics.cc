#include "codegen/llvm_diagnostics.h"

#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/Support/raw_ostream.h>

namespace tc2xdp::codegen {

bool CollectingDiagnosticHandler::handleDiagnostics(const llvm::DiagnosticInfo& info) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::DiagnosticPrinterRawOStream printer(os);
  info.print(printer);
  os.flush();
  switch (info.getSeverity()) {
    case llvm::DS_Error: sink_->errors.push_back(std::move(text)); break;
    case llvm::DS_Warning: sink_->warnings.push_back(std::move(text)); break;
    default: break;  // remarks and notes
  }
  return true;  // handled: no printing, no exit
}

}  // namespace tc2xdp::codegen
