// What a Datapath keeps open on its live program between changes (datapath.cc, in place edits).
#pragma once

#include <memory>

#include "tc2xdp/plan/plan.h"
#include "tc2xdp/plan/table_patch.h"
#include "tc2xdp/runtime/datapath.h"
#include "tc2xdp/runtime/table_fill.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace tc2xdp::runtime {

struct Datapath::Live {
  UniqueFd stats, tuples, records, spares, redirects, police, police_stats, flows;
  uint32_t stats_capacity = 0, bucket_capacity = 0;
  plan::PlanOptions plan_options;
  // The live tables as written, for changes filed in place; made on first use.
  std::unique_ptr<plan::TablePatcher> patcher;
  std::unique_ptr<MappedTables> mapped;  // the maps it writes, mapped with it
};

}  // namespace tc2xdp::runtime
