#include "tc2xdp/runtime/table_fill.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/runtime/map_io.h"

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

Status write_table_edits(const std::vector<plan::TableWrite>& writes, const TableMapFds& maps,
                         uint32_t& count) {
  auto cpus = possible_cpus();
  if (!cpus) return cpus.error();
  const std::vector<uint8_t> zeros(sizeof(plan::SlotCounts) * *cpus, 0);
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
  for (const auto& w : writes) {
    if (!w.record) continue;
    if (auto s = update_elem(maps.stats, bytes_of(w.slot), zeros); !s) return s;
    if (auto s = update_elem(maps.records, bytes_of(w.slot), *w.record); !s) return s;
    count += 2;
  }
  for (const auto& w : writes) {
    if (!w.touches_bucket) continue;
    if (auto s = write_bucket(maps.tuples, w); !s) return s;
    ++count;
  }
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

// The trees' global data in one write: every tree's nodes at its base, then the entries. The
// program is not attached yet.
static Status write_trees(const plan::Plan& plan, const BpfObject& object) {
  if (!plan.tree_nodes) return Ok{};
  auto fd = object.map_fd(codegen::kTreeMap);
  if (!fd) return fd.error();
  bpf_map_info info{};
  uint32_t info_size = sizeof(info);
  if (bpf_obj_get_info_by_fd(*fd, &info, &info_size) != 0)
    return Error{"bpf_obj_get_info_by_fd", errno, "the cut trees' map"};
  const uint64_t words = uint64_t{plan.tree_nodes} + plan.tree_entries;
  if (info.value_size < 4 * words)
    return Error{"write_tables", EINVAL,
                 "the cut trees' map holds " + std::to_string(info.value_size) + " bytes, not " +
                     std::to_string(4 * words)};
  std::vector<uint32_t> data((info.value_size + 3) / 4, 0);
  for (const plan::Table& table : plan.tables) {
    for (const plan::Tree& tree : table.trees) {
      for (uint32_t i = 0; i < tree.nodes.size(); ++i)
        data[tree.node_base + i] = plan::encode_tree_node(tree.nodes[i]);
      std::copy(tree.entries.begin(), tree.entries.end(),
                data.begin() + plan.tree_nodes + tree.entry_base);
    }
  }
  const uint32_t key = 0;
  if (bpf_map_update_elem(*fd, &key, data.data(), BPF_ANY) != 0)
    return Error{"bpf_map_update_elem", errno, "writing the cut trees"};
  return Ok{};
}

Status write_tables(const plan::Plan& plan, const BpfObject& object) {
  if (plan.tables.empty()) return Ok{};
  auto records_fd = object.map_fd(codegen::kRecordMap);
  if (!records_fd) return records_fd.error();
  auto tuples_fd = object.map_fd(codegen::kTupleMap);
  if (!tuples_fd) return tuples_fd.error();
  Batch records, buckets;
  for (const plan::Table& table : plan.tables) {
    for (const plan::TableRecord& r : table.records) {
      const plan::PlannedRule& planned = plan.rules[r.rule];
      const uint32_t id = planned.stats_slot;
      records.add(
          {reinterpret_cast<const uint8_t*>(&id), reinterpret_cast<const uint8_t*>(&id) + 4},
          plan::encode_table_record(plan.table_layout, r));
    }
    for (const plan::TableBucket& bucket : table.buckets)
      buckets.add(plan::encode_table_key(plan.table_layout, bucket),
                  plan::encode_table_bucket(bucket));
  }
  if (auto s = write_batch(*records_fd, records, "table records"); !s) return s;
  if (auto s = write_batch(*tuples_fd, buckets, "table buckets"); !s) return s;
  return write_trees(plan, object);
}

}  // namespace tc2xdp::runtime
