// What code generation produces: a BPF ELF object in memory, plus optional text forms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tc2xdp/codegen/map_spec.h"

namespace tc2xdp::codegen {

enum class EmitKind : uint8_t { kObject, kLlvmIr, kAssembly };

struct EmitOptions {
  bool optimize = true;        // run the LLVM pipeline (codegen/emit.h) before code generation
  bool want_llvm_ir = false;   // fill BpfProgram::llvm_ir (after optimisation)
  bool want_assembly = false;  // fill BpfProgram::assembly
};

struct BpfProgram {
  std::vector<uint8_t> object;        // ELF for bpf_object__open_mem / bpftool
  std::string llvm_ir;                // textual IR, if requested
  std::string assembly;               // BPF assembly, if requested
  std::string function_name;          // the XDP entry point (ELF symbol)
  std::vector<MapSpec> maps;          // the maps the object declares, in declaration order
  std::vector<std::string> warnings;  // LLVM's warnings, if any
};

}  // namespace tc2xdp::codegen
