#include "tc2xdp/runtime/table_fill.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/runtime/flow_cache.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/mapped_value.h"
#include "tc2xdp/runtime/stats_map.h"

namespace tc2xdp::runtime {

namespace {

// Keys and values laid end to end, as bpf_map_update_batch takes them.
struct Batch {
  std::vector<uint8_t> keys, values;
  uint32_t count = 0;
  void add(const std::vector<uint8_t>& key, const std::vector<uint8_t>& value) {
    keys.insert(keys.end(), key.begin(), key.end());
    values.insert(values.end(), value.begin(), value.end());
    ++count;
  }
};

Status write_batch(int fd, const Batch& batch, const char* what) {
  uint32_t done = batch.count;
  if (done == 0) return Ok{};
  if (bpf_map_update_batch(fd, batch.keys.data(), batch.values.data(), &done, nullptr) != 0) {
    const int err = errno;
    return Error{what, err,
                 "writing " + std::to_string(batch.count) + " entries failed after " +
                     std::to_string(done) + ": " + std::strerror(err)};
  }
  return Ok{};
}

Status write_bucket(int fd, const plan::TableWrite& w) {
  if (w.bucket) return update_elem(fd, w.bucket_key, *w.bucket);
  if (bpf_map_delete_elem(fd, w.bucket_key.data()) != 0 && errno != ENOENT)
    return Error{"delete table bucket", errno, std::strerror(errno)};
  return Ok{};
}

}  // namespace

Result<MappedTables> MappedTables::map(int stats_fd, int records_fd, int flows_fd) {
  auto stats = StatsMap::open(stats_fd);
  if (!stats) return stats.error();
  auto records = MappedValue::map(records_fd);
  if (!records) return records.error();
  std::optional<MappedValue> flows;
  if (flows_fd >= 0) {
    auto mapped = MappedValue::map(flows_fd);
    if (!mapped) return mapped.error();
    flows.emplace(std::move(*mapped));
  }
  return MappedTables{std::move(*stats), std::move(*records), std::move(flows)};
}

Status write_table_edits(const std::vector<plan::TableWrite>& writes, const TableMapFds& maps,
                         uint32_t& count) {
  for (const auto& w : writes) {
    if (!w.devmap) continue;
    const auto [slot, ifindex] = *w.devmap;
    if (auto s = update_elem(maps.redirects, bytes_of(slot), bytes_of(ifindex)); !s) return s;
    ++count;
  }
  for (const auto& w : writes) {
    for (const auto& [entry, bytes] : w.spares) {
      if (auto s = update_elem(maps.spares, bytes_of(entry), bytes); !s) return s;
      ++count;
    }
  }
  std::vector<ValueWrite> records;
  std::vector<uint32_t> new_slots;
  for (const auto& w : writes) {
    if (!w.record) continue;
    new_slots.push_back(w.slot);
    records.push_back({uint64_t{w.slot} * w.record->size(), *w.record});
  }
  for (uint32_t slot : new_slots)
    if (auto s = maps.mapped.stats.zero(slot); !s) return s;
  count += static_cast<uint32_t>(new_slots.size());
  for (const ValueWrite& w : records)
    if (auto s = maps.mapped.records.store(w.offset, w.bytes); !s) return s;
  count += static_cast<uint32_t>(records.size());
  for (const auto& w : writes) {
    if (!w.touches_bucket) continue;
    if (auto s = write_bucket(maps.tuples, w); !s) return s;
    ++count;
  }
  if (maps.mapped.flows) return retire_flow_answers(*maps.mapped.flows);
  return Ok{};
}

Status write_device_maps(const plan::Plan& plan, const BpfObject& object,
                         const DeviceSlotResolver& resolve) {
  const auto fill = [&](const std::string& map, uint32_t slot, const plan::DeviceTarget& target,
                        bool at_tc) -> Status {
    auto ifindex = resolve(target, at_tc);
    if (!ifindex) return ifindex.error();
    if (!*ifindex) return Ok{};
    auto fd = object.map_fd(map.c_str());
    if (!fd) return fd.error();
    if (!at_tc) return update_elem(*fd, bytes_of(slot), bytes_of(**ifindex));
    const uint64_t value = **ifindex | uint64_t{target.ingress} << 32;
    return update_elem(*fd, bytes_of(slot), bytes_of(value));
  };
  for (const auto& r : plan.redirects)
    if (auto s = fill(codegen::kRedirectMap, r.slot, r.target, false); !s) return s;
  for (size_t i = 0; i < plan.action_lists.size(); ++i) {
    const plan::ActionList& list = plan.action_lists[i];
    const bool at_tc = list.copies_at_tc();
    const std::string map = at_tc ? codegen::copies_map_name(i) : codegen::fanout_map_name(i);
    for (uint32_t slot = 0; slot < list.sends.size(); ++slot)
      if (auto s = fill(map, slot, list.sends[slot], at_tc); !s) return s;
  }
  return Ok{};
}

// A program's global data (codegen's declare_data), freshly loaded and so zero: `bytes` from its
// start.
static Status write_global_data(const BpfObject& object, const char* name,
                                std::vector<uint8_t> bytes) {
  auto fd = object.map_fd(name);
  if (!fd) return fd.error();
  bytes.resize((bytes.size() + 7) / 8 * 8, 0);  // whole words
  const ValueWrite all{0, bytes};
  return store_in_place(*fd, {&all, 1});
}

// Every tree's nodes at its base, then the entries. The program is not attached yet.
static Status write_trees(const plan::Plan& plan, const BpfObject& object) {
  if (!plan.tree_nodes) return Ok{};
  std::vector<uint32_t> words(uint64_t{plan.tree_nodes} + plan.tree_entries, 0);
  for (const plan::Table& table : plan.tables) {
    for (const plan::Tree& tree : table.trees) {
      for (uint32_t i = 0; i < tree.nodes.size(); ++i)
        words[tree.node_base + i] = plan::encode_tree_node(tree.nodes[i]);
      std::copy(tree.entries.begin(), tree.entries.end(),
                words.begin() + plan.tree_nodes + tree.entry_base);
    }
  }
  std::vector<uint8_t> bytes(4 * words.size());
  std::memcpy(bytes.data(), words.data(), bytes.size());
  return write_global_data(object, codegen::kTreeMap, std::move(bytes));
}

Status write_tables(const plan::Plan& plan, const BpfObject& object) {
  if (plan.tables.empty()) return Ok{};
  auto tuples_fd = object.map_fd(codegen::kTupleMap);
  if (!tuples_fd) return tuples_fd.error();
  const uint32_t record_size = plan.table_layout.record_size();
  std::vector<uint8_t> records(uint64_t{record_size} * plan.table_records, 0);
  Batch buckets;
  for (const plan::Table& table : plan.tables) {
    for (const plan::TableRecord& r : table.records) {
      const uint64_t at = uint64_t{plan.rules[r.rule].stats_slot} * record_size;
      const std::vector<uint8_t> bytes = plan::encode_table_record(plan.table_layout, r);
      if (at + bytes.size() > records.size())
        return Error{"write_tables", EINVAL, "a record's id is past the records' capacity"};
      std::copy(bytes.begin(), bytes.end(), records.begin() + at);
    }
    for (const plan::TableBucket& bucket : table.buckets)
      buckets.add(plan::encode_table_key(plan.table_layout, bucket),
                  plan::encode_table_bucket(bucket));
  }
  if (auto s = write_global_data(object, codegen::kRecordMap, std::move(records)); !s) return s;
  if (auto s = write_batch(*tuples_fd, buckets, "table buckets"); !s) return s;
  // A plan with a cache may still have a program without one (codegen::compile builds a program
  // the cache does not fit in the stack without it).
  if (auto flows_fd = object.map_fd(codegen::kFlowCacheMap); flows_fd && plan.flow_cache.enabled())
    if (auto s = write_flow_cache_layout(*flows_fd, plan.flow_cache); !s) return s;
  return write_trees(plan, object);
}

}  // namespace tc2xdp::runtime
