#include "tc2xdp/codegen/map_spec.h"

#include <linux/bpf.h>

namespace tc2xdp::codegen {

uint32_t bpf_map_type(MapKind kind) {
  switch (kind) {
    case MapKind::kArray: return BPF_MAP_TYPE_ARRAY;
    case MapKind::kPercpuArray: return BPF_MAP_TYPE_PERCPU_ARRAY;
    case MapKind::kHash: return BPF_MAP_TYPE_HASH;
    case MapKind::kPercpuHash: return BPF_MAP_TYPE_PERCPU_HASH;
    case MapKind::kLpmTrie: return BPF_MAP_TYPE_LPM_TRIE;
    case MapKind::kDevmap: return BPF_MAP_TYPE_DEVMAP;
    case MapKind::kDevmapHash: return BPF_MAP_TYPE_DEVMAP_HASH;
  }
  return BPF_MAP_TYPE_UNSPEC;
}

const char* map_kind_name(MapKind kind) {
  switch (kind) {
    case MapKind::kArray: return "array";
    case MapKind::kPercpuArray: return "percpu_array";
    case MapKind::kHash: return "hash";
    case MapKind::kPercpuHash: return "percpu_hash";
    case MapKind::kLpmTrie: return "lpm_trie";
    case MapKind::kDevmap: return "devmap";
    case MapKind::kDevmapHash: return "devmap_hash";
  }
  return "?";
}

uint32_t BtfType::byte_size() const {
  if (!is_struct()) return int_size;
  uint32_t total = 0;
  for (const Member& m : members) total += (m.type ? m.type->byte_size() : m.size) * m.count;
  return total;
}

uint32_t effective_map_flags(const MapSpec& spec) {
  // The kernel refuses a preallocated LPM trie.
  if (spec.kind == MapKind::kLpmTrie) return spec.map_flags | BPF_F_NO_PREALLOC;
  return spec.map_flags;
}

}  // namespace tc2xdp::codegen
