// The table maps' bytes (layouts in lookup.h). BPF is little-endian here, as the host.
#include <cstring>

#include "tc2xdp/plan/lookup.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

namespace {

template <typename T>
void put(std::vector<uint8_t>& out, uint32_t offset, T value) {
  std::memcpy(out.data() + offset, &value, sizeof value);
}

}  // namespace

std::vector<uint8_t> encode_table_key(const TableLayout& layout, const TableBucket& bucket) {
  std::vector<uint8_t> out(layout.key_size(), 0);
  put<uint32_t>(out, 0, bucket.tuple);
  for (size_t w = 0; w < bucket.key.size(); ++w) put<uint64_t>(out, 8 + 8 * w, bucket.key[w]);
  return out;
}

std::vector<uint8_t> encode_table_bucket(const TableBucket& bucket) {
  std::vector<uint8_t> out(TableLayout::bucket_size(), 0);
  for (size_t i = 0; i < bucket.records.size(); ++i) put<uint32_t>(out, 4 * i, bucket.records[i]);
  return out;
}

std::vector<uint8_t> encode_table_record(const TableLayout& layout, const TableRecord& record) {
  std::vector<uint8_t> out(layout.record_size(), 0);
  for (size_t w = 0; w < record.mask.size(); ++w) {
    put<uint64_t>(out, layout.mask_offset(w), record.mask[w]);
    put<uint64_t>(out, layout.value_offset(w), record.value[w]);
  }
  put<uint32_t>(out, layout.ordinal_offset(), record.ordinal);
  put<uint32_t>(out, layout.kind_arg_offset(),
                static_cast<uint32_t>(record.kind) | record.arg << 8);
  if (layout.port_ranges) {
    put<uint16_t>(out, layout.ports_offset(), record.src_port.min);
    put<uint16_t>(out, layout.ports_offset() + 2, record.src_port.max);
    put<uint16_t>(out, layout.ports_offset() + 4, record.dst_port.min);
    put<uint16_t>(out, layout.ports_offset() + 6, record.dst_port.max);
  }
  return out;
}

std::vector<uint8_t> encode_spare(const TableLayout& layout, const Tuple& tuple, bool active) {
  std::vector<uint8_t> out(layout.spare_size(), 0);
  for (size_t w = 0; w < tuple.mask.size(); ++w) put<uint64_t>(out, 8 * w, tuple.mask[w]);
  put<uint32_t>(out, layout.spare_tuple_offset(), tuple.id);
  put<uint32_t>(out, layout.spare_floor_offset(), tuple.floor);
  put<uint32_t>(out, layout.spare_active_offset(), active ? 1 : 0);
  return out;
}

uint32_t encode_tree_node(const TreeNode& node) {
  if (node.leaf) return uint32_t{node.count} << 1 | node.first << 6;
  return 1u | uint32_t{node.dim} << 1 | uint32_t{node.shift} << 4 | uint32_t{node.bits} << 10 |
         node.first << 14;
}

}  // namespace tc2xdp::plan
