// The runtime's side of the flow cache (plan/flow_cache.h): retiring every cached answer after
// the tables' data changed.
#pragma once

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

// Bumps the generation in the cache's global data (codegen::kFlowCacheMap), after the map writes
// that changed a table's answers are all visible: every way stamped before reads as stale. A
// packet that read the old generation before the writes stamps its answer with it, so it is
// retired too. Nothing to do for `flows_fd` < 0 (a program without a cache).
Status retire_flow_answers(int flows_fd);

}  // namespace tc2xdp::runtime
