// Both ways of waiting for running BPF programs work on this kernel: membarrier, and the update of
// a map-of-maps element the runtime falls back to where membarrier is refused (nohz_full).
#include "tc2xdp/runtime/grace_period.h"

#include <gtest/gtest.h>

#include "root_check.h"

namespace tc2xdp::testing {
namespace {

TEST(GracePeriod, EitherWayWaits) {
  TC2XDP_REQUIRE_ROOT();
  auto waited = runtime::wait_for_running_programs();
  EXPECT_TRUE(waited.ok()) << waited.error().to_string();
  auto fallback = runtime::wait_by_map_of_maps_update();
  EXPECT_TRUE(fallback.ok()) << fallback.error().to_string();
}

}  // namespace
}  // namespace tc2xdp::testing
