#include "codegen/emit.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/DCE.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Utils/Cloning.h>

namespace tc2xdp::codegen {

void optimize_module(llvm::Module& module, llvm::TargetMachine& machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  // Passing the TargetMachine registers the BPF backend's pipeline callbacks (e.g. its IR
  // adjustments that keep code verifier-friendly); they are invoked below at their usual points.
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  // A short pipeline rather than O2: the IR is built for BPF already (straight-line probes,
  // state in entry-block slots, barriers where folding would hurt the verifier), so what it needs
  // is the slots promoted to registers, common loads merged, constants folded and the CFG cleaned.
  // O2 took 19 ms on a 1,000-rule program's 1,500 instructions and gave a program of the same
  // size; this takes about 5 (most of a shape change's latency is compile time).
  const llvm::OptimizationLevel level = llvm::OptimizationLevel::O2;
  llvm::ModulePassManager pipeline;
  builder.invokePipelineStartEPCallbacks(pipeline, level);
  builder.invokePipelineEarlySimplificationEPCallbacks(pipeline, level);
  llvm::FunctionPassManager simplify;
  simplify.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  simplify.addPass(llvm::EarlyCSEPass(/*UseMemorySSA=*/true));
  simplify.addPass(llvm::InstCombinePass());
  simplify.addPass(llvm::SimplifyCFGPass());
  builder.invokePeepholeEPCallbacks(simplify, level);
  simplify.addPass(llvm::DCEPass());
  pipeline.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(simplify)));
  pipeline.run(module, modules);
}

Result<std::string> emit_machine_code(const llvm::Module& module, llvm::TargetMachine& machine,
                                      EmitKind kind) {
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(module);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  const auto type = kind == EmitKind::kAssembly ? llvm::CodeGenFileType::AssemblyFile
                                                : llvm::CodeGenFileType::ObjectFile;
  if (machine.addPassesToEmitFile(passes, os, nullptr, type)) {
    return Error{"llvm::TargetMachine::addPassesToEmitFile", 0,
                 "the BPF target cannot emit this file type"};
  }
  passes.run(*copy);
  return std::string(buffer.begin(), buffer.end());
}

std::string print_ir(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  return os.str();
}

}  // namespace tc2xdp::codegen
