// Writing a plan's lookup tables (plan/lookup.h) into a loaded object's maps.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/plan/table_patch.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/mapped_value.h"
#include "tc2xdp/runtime/stats_map.h"

namespace tc2xdp::runtime {

// Every record, then every bucket (a bucket only ever names records already written). Nothing
// to do when the plan has no tables.
Status write_tables(const plan::Plan& plan, const BpfObject& object);

// The ifindex a mirred target's slot holds, nullopt to leave the slot empty (the program then sends
// nothing there), or an error that stops the writing. `at_tc`: a copy the tc companion makes,
// which needs the device itself; otherwise the device XDP transmits on.
using DeviceSlotResolver =
    std::function<Result<std::optional<uint32_t>>(const plan::DeviceTarget& target, bool at_tc)>;

// The mirred maps: the redirect devmap's slots, each fan-out list's devmap, and each list's copy
// map for the tc companion (slot i -> ifindex | ingress << 32).
Status write_device_maps(const plan::Plan& plan, const BpfObject& object,
                         const DeviceSlotResolver& resolve);

// The live maps an edit writes in place, mapped once by their holder (a daemon's Datapath keeps
// them between edits): a mapping made per edit costs an munmap, whose TLB shootdown interrupts
// every CPU the process has a thread on (a delta at 10k rules: 120 µs with a second thread
// running, against 15 µs from mappings kept).
struct MappedTables {
  static Result<MappedTables> map(int stats_fd, int records_fd, int flows_fd);
  StatsMap stats;
  MappedValue records;
  std::optional<MappedValue> flows;
};

// The maps a live program's tables are edited in (plan::TablePatcher's writes).
struct TableMapFds {
  int tuples = -1, spares = -1, redirects = -1;
  MappedTables& mapped;  // the counters, records and flow cache (whose answers are retired)
};

// Publishes in-place edits in an order no packet can observe half done: new devmap slots, spare
// tuples (an activation written inactive, then active), new slots' counters zeroed on every CPU and
// their records (no bucket names them yet), then each bucket replaced whole or deleted, then the
// flow cache's answers retired. Adds the
// number of map writes to `count`.
Status write_table_edits(const std::vector<plan::TableWrite>& writes, const TableMapFds& maps,
                         uint32_t& count);

}  // namespace tc2xdp::runtime
