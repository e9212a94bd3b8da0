// The runtime's side of the flow cache (plan/flow_cache.h): retiring every cached answer after
// the tables' data changed.
#pragma once

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/flow_cache.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::runtime {

// Bumps the stamp in the cache's global data (codegen::kFlowCacheMap, laid out as `layout`), after
// the map writes that changed a table's answers are all visible: every way stamped before reads
// as stale. A packet that read the old stamp before the writes stamps its answer with it, so it
// is retired too. Twice a cycle of kFlowCacheStamps bumps, before the first stamp of each half,
// it waits for an RCU grace period and empties the ways stamped in that half a cycle ago. Nothing
// to do for `flows_fd` < 0 (a program without a cache).
Status retire_flow_answers(int flows_fd, const plan::FlowCache& layout);
// The same on the cache's global data mapped whole.
Status retire_flow_answers(MappedValue& flows, const plan::FlowCache& layout);

}  // namespace tc2xdp::runtime
