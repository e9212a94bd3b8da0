#include "codegen/debug_types.h"

#include <llvm/BinaryFormat/Dwarf.h>

#include <vector>

namespace tc2xdp::codegen {
namespace {
constexpr uint64_t kPointerBits = 64;
}

llvm::DIType* DebugTypes::signed_int() {
  if (int_ == nullptr) int_ = di_.createBasicType("int", 32, llvm::dwarf::DW_ATE_signed);
  return int_;
}

llvm::DIType* DebugTypes::unsigned_int(uint32_t bytes) {
  auto it = unsigned_.find(bytes);
  if (it != unsigned_.end()) return it->second;
  const char* name = "unsigned int";
  unsigned encoding = llvm::dwarf::DW_ATE_unsigned;
  switch (bytes) {
    case 1:
      name = "unsigned char";
      encoding = llvm::dwarf::DW_ATE_unsigned_char;
      break;
    case 2: name = "unsigned short"; break;
    case 4: name = "unsigned int"; break;
    case 8: name = "unsigned long long"; break;
  }
  llvm::DIType* type = di_.createBasicType(name, uint64_t{bytes} * 8, encoding);
  unsigned_.emplace(bytes, type);
  return type;
}

llvm::DIType* DebugTypes::describe(const BtfType& type) {
  if (!type.is_struct()) return unsigned_int(type.int_size);
  if (!type.name.empty()) {
    auto it = structs_.find(type.name);
    if (it != structs_.end()) return it->second;
  }
  const uint64_t size_bits = uint64_t{type.byte_size()} * 8;
  llvm::DICompositeType* st = di_.createStructType(unit_, type.name, file_, 0, size_bits, 0,
                                                   llvm::DINode::FlagZero, nullptr, {});
  std::vector<llvm::Metadata*> members;
  uint64_t offset = 0;
  for (const BtfType::Member& m : type.members) {
    llvm::DIType* element = m.type ? describe(*m.type) : unsigned_int(m.size);
    const uint32_t size = m.type ? m.type->byte_size() : m.size;
    const uint64_t bits = uint64_t{size} * 8 * m.count;
    if (m.count > 1) {
      llvm::DINodeArray range = di_.getOrCreateArray({di_.getOrCreateSubrange(0, m.count)});
      element = di_.createArrayType(bits, 0, element, range);
    }
    members.push_back(di_.createMemberType(st, m.name, file_, 0, bits, 0, offset,
                                           llvm::DINode::FlagZero, element));
    offset += bits;
  }
  di_.replaceArrays(st, di_.getOrCreateArray(members));
  if (!type.name.empty()) structs_.emplace(type.name, st);
  return st;
}

llvm::DIDerivedType* DebugTypes::pointer_member(llvm::DIScope* scope, const char* name,
                                                llvm::DIType* pointee, uint64_t offset_bits) {
  llvm::DIType* pointer = di_.createPointerType(pointee, kPointerBits);
  return di_.createMemberType(scope, name, file_, 0, kPointerBits, 0, offset_bits,
                              llvm::DINode::FlagZero, pointer);
}

// __uint(name, value) is `int (*name)[value]`: the value lives in the array's element count.
llvm::DIDerivedType* DebugTypes::uint_member(llvm::DIScope* scope, const char* name, uint32_t value,
                                             uint64_t offset_bits) {
  llvm::DINodeArray range = di_.getOrCreateArray({di_.getOrCreateSubrange(0, int64_t{value})});
  llvm::DIType* array = di_.createArrayType(uint64_t{value} * 32, 0, signed_int(), range);
  return pointer_member(scope, name, array, offset_bits);
}

llvm::DICompositeType* DebugTypes::map_definition(const MapSpec& spec) {
  const uint32_t flags = effective_map_flags(spec);
  const size_t member_count = flags != 0 ? 5 : 4;
  llvm::DICompositeType* st = di_.createStructType(unit_, "", file_, 0, member_count * kPointerBits,
                                                   0, llvm::DINode::FlagZero, nullptr, {});
  std::vector<llvm::Metadata*> members;
  uint64_t offset = 0;
  auto next = [&offset] { return std::exchange(offset, offset + kPointerBits); };
  members.push_back(uint_member(st, "type", bpf_map_type(spec.kind), next()));
  members.push_back(uint_member(st, "max_entries", spec.max_entries, next()));
  if (flags != 0) members.push_back(uint_member(st, "map_flags", flags, next()));
  members.push_back(pointer_member(st, "key", describe(spec.key), next()));
  members.push_back(pointer_member(st, "value", describe(spec.value), next()));
  di_.replaceArrays(st, di_.getOrCreateArray(members));
  return st;
}

llvm::DIType* DebugTypes::xdp_md_pointer() {
  if (xdp_md_pointer_ != nullptr) return xdp_md_pointer_;
  llvm::DIType* u32 = unsigned_int(4);
  const char* fields[] = {"data",           "data_end",      "data_meta", "ingress_ifindex",
                          "rx_queue_index", "egress_ifindex"};
  llvm::DICompositeType* st = di_.createStructType(unit_, "xdp_md", file_, 0, 6 * 32, 0,
                                                   llvm::DINode::FlagZero, nullptr, {});
  std::vector<llvm::Metadata*> members;
  for (size_t i = 0; i < std::size(fields); ++i) {
    members.push_back(
        di_.createMemberType(st, fields[i], file_, 0, 32, 0, i * 32, llvm::DINode::FlagZero, u32));
  }
  di_.replaceArrays(st, di_.getOrCreateArray(members));
  xdp_md_pointer_ = di_.createPointerType(st, kPointerBits);
  return xdp_md_pointer_;
}

llvm::DISubroutineType* DebugTypes::xdp_function_type() {
  return di_.createSubroutineType(di_.getOrCreateTypeArray({signed_int(), xdp_md_pointer()}));
}

}  // namespace tc2xdp::codegen
