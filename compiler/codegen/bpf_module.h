// One BPF object under construction: LLVM context, module, IRBuilder and debug info (for BTF).
// Internal to codegen: other stages see only tc2xdp/codegen/*.h (no LLVM types).
//
//   BpfModule m("demo");
//   const MapRef& stats = m.declare_map({"stats", MapKind::kPercpuArray, BtfType::u32(),
//                                        BtfType::u64(), 2});
//   XdpFunction fn = m.create_xdp_function("xdp_main");
//   ... build with fn / m.builder() ...
//   Result<BpfProgram> program = m.finish();
#pragma once

#include <llvm/IR/DIBuilder.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/debug_types.h"
#include "codegen/llvm_diagnostics.h"
#include "codegen/xdp_function.h"
#include "tc2xdp/codegen/bpf_program.h"
#include "tc2xdp/diagnostic.h"

namespace tc2xdp::codegen {

struct MapRef {
  llvm::GlobalVariable* global = nullptr;  // pass this to map helpers
  MapSpec spec;
};

class BpfModule {
 public:
  // `source_text`, if given, is embedded as the debug "source file": BTF line info then shows
  // line N of it next to the instructions emitted under XdpFunction::set_line(N) in verifier
  // logs and `bpftool prog dump`. Lowering can put one rule per line there.
  explicit BpfModule(std::string name = "tc2xdp", std::string source_text = {});
  ~BpfModule();
  BpfModule(const BpfModule&) = delete;
  BpfModule& operator=(const BpfModule&) = delete;

  llvm::LLVMContext& context() { return *context_; }
  llvm::Module& module() { return *module_; }
  llvm::IRBuilder<>& builder() { return *builder_; }
  DebugTypes& debug_types() { return *types_; }

  // Declares `spec` as a BTF-described global in section ".maps". Names must be unique.
  const MapRef& declare_map(const MapSpec& spec);
  const MapRef* find_map(std::string_view name) const;
  const std::deque<MapRef>& maps() const { return maps_; }

  // A zeroed, writable `bytes`-byte global alone in `section` (".bss.NAME"): libbpf makes it a
  // one-element array map under the section's name, and the program addresses it directly
  // (a map value pointer loaded as a constant) instead of through lookup helper calls.
  llvm::GlobalVariable* declare_data(const std::string& section, uint64_t bytes);

  // Creates `int name(struct xdp_md *ctx)` in section "xdp", loads data/data_end in its entry
  // block and leaves the builder there. One XDP function per module.
  XdpFunction create_xdp_function(const std::string& name);
  // Creates `int name(struct __sk_buff *skb)` in section "tc" (SCHED_CLS) with an empty entry
  // block, and leaves the builder there. Build it after the XDP function.
  llvm::Function* create_tc_function(const std::string& name);

  void set_license(std::string license) { license_ = std::move(license); }

  // Finalises debug info, verifies, optimises (emit.h) and emits the ELF object (and, on request,
  // IR and assembly). Call once: the module is finished afterwards.
  Result<BpfProgram> finish(const EmitOptions& options = {});

 private:
  friend class XdpFunction;
  llvm::DISubprogram* create_subprogram(const std::string& name);
  // `int name(void *context)` in `section`, kept in the object (llvm.compiler.used).
  llvm::Function* create_program(const std::string& name, const char* section,
                                 const char* context_name);
  Status check_llvm_errors(const char* stage);

  LlvmDiagnostics diagnostics_;
  std::unique_ptr<llvm::LLVMContext> context_;  // destroyed after everything living in it
  std::unique_ptr<llvm::Module> module_;
  std::unique_ptr<llvm::IRBuilder<>> builder_;
  std::unique_ptr<llvm::DIBuilder> di_;
  llvm::DIFile* file_ = nullptr;
  llvm::DICompileUnit* unit_ = nullptr;
  std::unique_ptr<DebugTypes> types_;
  std::deque<MapRef> maps_;  // deque: references handed out stay valid
  std::vector<llvm::GlobalValue*> used_;
  std::string license_ = "GPL";
  std::string function_name_;
  bool finished_ = false;
};

}  // namespace tc2xdp::codegen
