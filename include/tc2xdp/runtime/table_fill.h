// Writing a plan's lookup tables (plan/lookup.h) into a loaded object's maps.
#pragma once

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/bpf_object.h"

namespace tc2xdp::runtime {

// Every record, then every bucket (a bucket only ever names records already written). Nothing
// to do when the plan has no tables.
Status write_tables(const plan::Plan& plan, const BpfObject& object);

}  // namespace tc2xdp::runtime
