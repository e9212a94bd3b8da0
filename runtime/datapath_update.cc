#include "datapath_update.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "tc2xdp/runtime/flow_cache.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::runtime {

namespace {

using Bytes = std::vector<uint8_t>;

std::map<uint32_t, Bytes> records_of(const plan::Plan& plan) {
  std::map<uint32_t, Bytes> out;
  for (const auto& table : plan.tables)
    for (const auto& r : table.records)
      out[plan.rules[r.rule].stats_slot] = plan::encode_table_record(plan.table_layout, r);
  return out;
}

std::map<Bytes, Bytes> buckets_of(const plan::Plan& plan) {
  std::map<Bytes, Bytes> out;
  for (const auto& table : plan.tables)
    for (const auto& b : table.buckets)
      out[plan::encode_table_key(plan.table_layout, b)] = plan::encode_table_bucket(b);
  return out;
}

}  // namespace

Result<bool> write_table_changes(const plan::Plan& live, const plan::Plan& next,
                                 const LiveTables& maps, uint32_t& writes) {
  writes = 0;
  const auto old_records = records_of(live);
  const auto new_records = records_of(next);
  std::vector<std::pair<uint32_t, const Bytes*>> record_writes;
  for (const auto& [id, bytes] : new_records) {
    auto it = old_records.find(id);
    if (it == old_records.end()) {
      record_writes.emplace_back(id, &bytes);
    } else if (it->second != bytes) {
      return false;  // in place: a reader could see half of it
    }
  }
  const auto old_buckets = buckets_of(live);
  const auto new_buckets = buckets_of(next);
  if (next.tables.empty() && live.tables.empty()) return true;
  if (maps.tuples_fd < 0 || maps.records_fd < 0) return false;
  size_t inserted = 0;
  for (const auto& [key, value] : new_buckets) inserted += !old_buckets.contains(key);
  if (old_buckets.size() + inserted > maps.bucket_capacity) return false;

  std::vector<ValueWrite> records;
  for (const auto& [id, bytes] : record_writes)
    records.push_back({uint64_t{id} * bytes->size(), *bytes});
  if (auto s = store_in_place(maps.records_fd, records); !s) return s.error();
  writes += static_cast<uint32_t>(records.size());
  for (const auto& [key, value] : new_buckets) {
    auto it = old_buckets.find(key);
    if (it != old_buckets.end() && it->second == value) continue;
    if (auto s = update_elem(maps.tuples_fd, key, value); !s) return s.error();
    ++writes;
  }
  for (const auto& [key, value] : old_buckets) {
    if (new_buckets.contains(key)) continue;
    if (bpf_map_delete_elem(maps.tuples_fd, key.data()) != 0 && errno != ENOENT)
      return Error{"delete table bucket", errno, std::strerror(errno)};
    ++writes;
  }
  if (writes > 0)
    if (auto s = retire_flow_answers(maps.flows_fd); !s) return s.error();
  return true;
}

}  // namespace tc2xdp::runtime
