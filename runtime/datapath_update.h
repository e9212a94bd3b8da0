// Data-only changes: a new plan whose shape equals the live one's is applied as map writes.
#pragma once

#include <map>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::runtime {

struct LiveTables {
  int tuples_fd = -1;            // codegen::kTupleMap of the attached program
  int records_fd = -1;           // codegen::kRecordMap (global data, edited through mmap)
  uint32_t bucket_capacity = 0;  // the tuple map's max_entries
  int flows_fd = -1;             // codegen::kFlowCacheMap, if the program has a flow cache
};

// Writes what differs between `live` (the attached program's plan) and `next`, in an order no
// packet can observe half-done: new records first (nothing names them yet), then each changed
// bucket replaced whole (a hash element update swaps the value atomically), then buckets that
// went away deleted. A rule sits in exactly one bucket, so each rule appears or disappears at
// once; records left behind are named by no bucket. Returns false, having written nothing, when
// a surviving rule's record would change in place (an array write is not atomic), or when the
// new buckets would not fit next to the old ones until those are deleted: the caller recompiles
// instead. Requires equal shape fingerprints. Any write retires the flow cache's answers last.
Result<bool> write_table_changes(const plan::Plan& live, const plan::Plan& next,
                                 const LiveTables& maps, uint32_t& writes);

}  // namespace tc2xdp::runtime
