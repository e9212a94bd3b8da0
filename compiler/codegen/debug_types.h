// Debug-info (and so BTF) descriptions of map definitions and their keys/values.
// LLVM's BPF backend emits BTF only from debug info; libbpf >= 1.0 requires BTF for `.maps`.
#pragma once

#include <llvm/IR/DIBuilder.h>

#include <cstdint>
#include <map>
#include <string>

#include "tc2xdp/codegen/map_spec.h"

namespace tc2xdp::codegen {

class DebugTypes {
 public:
  DebugTypes(llvm::DIBuilder& di, llvm::DICompileUnit* unit, llvm::DIFile* file)
      : di_(di), unit_(unit), file_(file) {}

  // The anonymous struct libbpf's __uint/__type macros produce:
  //   struct { int (*type)[T]; int (*max_entries)[N]; int (*map_flags)[F]; K *key; V *value; }
  llvm::DICompositeType* map_definition(const MapSpec& spec);

  // A key or value layout: an unsigned integer or a named struct of (arrays of) integers.
  llvm::DIType* describe(const BtfType& type);

  // `unsigned int`/`unsigned long long`... for a byte size of 1, 2, 4 or 8.
  llvm::DIType* unsigned_int(uint32_t bytes);
  llvm::DIType* signed_int();  // `int`, the element type of __uint's arrays

  // `struct xdp_md *` and `int (struct xdp_md *)`, for the program's DISubprogram.
  llvm::DIType* xdp_md_pointer();
  llvm::DISubroutineType* xdp_function_type();

 private:
  llvm::DIDerivedType* uint_member(llvm::DIScope* scope, const char* name, uint32_t value,
                                   uint64_t offset_bits);
  llvm::DIDerivedType* pointer_member(llvm::DIScope* scope, const char* name, llvm::DIType* pointee,
                                      uint64_t offset_bits);

  llvm::DIBuilder& di_;
  llvm::DICompileUnit* unit_;
  llvm::DIFile* file_;
  llvm::DIType* int_ = nullptr;
  llvm::DIType* xdp_md_pointer_ = nullptr;
  std::map<uint32_t, llvm::DIType*> unsigned_;
  std::map<std::string, llvm::DIType*> structs_;  // named structs are described once
};

}  // namespace tc2xdp::codegen
