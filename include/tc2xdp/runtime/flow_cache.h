// The runtime's side of the flow cache (plan/flow_cache.h): retiring every cached answer after
// the tables' data changed.
#pragma once

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/flow_cache.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::runtime {

// Writes the cache's layout into its header (plan/flow_cache.h), where retire_flow_answers finds
// it: the layout is the live program's, whatever a plan made later says. Before the program runs.
Status write_flow_cache_layout(int flows_fd, const plan::FlowCache& layout);

// The walks of every CPU with a region, summed.
Result<plan::FlowCacheCounts> read_flow_cache_counts(int flows_fd);

// Bumps the stamp in the cache's global data (codegen::kFlowCacheMap), after the map writes that
// changed a table's answers are all visible: every way stamped before reads as stale. A packet
// that read the old stamp before the writes stamps its answer with it, so it is retired too.
// Twice a cycle of kFlowCacheStamps bumps, before the first stamp of each half, it waits for
// running programs (grace_period.h) and empties the ways stamped in that half a cycle ago.
// Nothing to do for `flows_fd` < 0 (a program without a cache).
Status retire_flow_answers(int flows_fd);
// The same on the cache's global data mapped whole.
Status retire_flow_answers(MappedValue& flows);

}  // namespace tc2xdp::runtime
