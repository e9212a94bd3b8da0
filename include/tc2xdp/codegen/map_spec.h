// BPF maps as the compiler declares them: kind, key/value layout (for BTF), size.
// LLVM-free, so every stage (planner, runtime, CLI) can talk about maps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tc2xdp::codegen {

enum class MapKind : uint8_t {
  kArray,
  kPercpuArray,
  kHash,
  kPercpuHash,
  kLpmTrie,  // needs a struct key starting with a u32 prefix length; never preallocated
  kDevmap,   // u32 key -> u32 ifindex
  kDevmapHash,
};

// The kernel's BPF_MAP_TYPE_* value for a kind.
uint32_t bpf_map_type(MapKind kind);
const char* map_kind_name(MapKind kind);

// A key or value layout, described precisely enough to emit BTF for it.
// The kernel is picky: ARRAY keys must be a 32-bit INT, LPM_TRIE keys must be a STRUCT.
struct BtfType {
  struct Member {
    std::string name;
    uint32_t size = 4;   // bytes of one element: 1, 2, 4 or 8 (unsigned integers)
    uint32_t count = 1;  // > 1 makes it an array of `size`-byte elements
    // A member of this struct type instead of integers (size is then ignored): the kernel finds
    // special fields such as `struct bpf_spin_lock` by their BTF struct name.
    std::shared_ptr<const BtfType> type;
  };

  std::string name;             // struct name; empty for a plain integer
  uint32_t int_size = 0;        // 1/2/4/8 for a plain unsigned integer, 0 for a struct
  std::vector<Member> members;  // struct members in order, naturally aligned by the caller

  static BtfType u32() { return BtfType{{}, 4, {}}; }
  static BtfType u64() { return BtfType{{}, 8, {}}; }
  static BtfType structure(std::string name, std::vector<Member> members) {
    return BtfType{std::move(name), 0, std::move(members)};
  }
  // struct bpf_spin_lock { u32 val; }, as a member: at most one per map value (ARRAY or HASH).
  static Member spin_lock(std::string name) {
    return {std::move(name), 4, 1,
            std::make_shared<const BtfType>(structure("bpf_spin_lock", {{"val", 4, 1}}))};
  }
  // struct { u32 prefixlen; u8 data[n]; }: the key layout the LPM trie expects.
  static BtfType lpm_key(std::string name, uint32_t data_bytes) {
    return structure(std::move(name), {{"prefixlen", 4, 1}, {"data", 1, data_bytes}});
  }

  bool is_struct() const { return int_size == 0; }
  uint32_t byte_size() const;  // sum of members (the caller lays them out without holes)
};

struct MapSpec {
  std::string name;  // the ELF symbol and the kernel map name (<= 15 chars survive in the kernel)
  MapKind kind = MapKind::kArray;
  BtfType key = BtfType::u32();
  BtfType value = BtfType::u64();
  uint32_t max_entries = 1;
  uint32_t map_flags = 0;  // BPF_F_NO_PREALLOC is added for LPM_TRIE automatically
};

// map_flags as they must be declared (adds what the kind requires).
uint32_t effective_map_flags(const MapSpec& spec);

}  // namespace tc2xdp::codegen
