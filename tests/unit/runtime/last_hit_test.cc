// The last hit is stored as a u32 of 2^kLastHitShift-ns units; the runtime widens it against
// the clock.
#include <gtest/gtest.h>

#include "tc2xdp/runtime/rule_counters.h"

namespace tc2xdp::runtime {
namespace {

constexpr uint64_t kUnit = uint64_t{1} << plan::kLastHitShift;

uint32_t stored_at(uint64_t ns) {
  return static_cast<uint32_t>(ns >> plan::kLastHitShift);
}

TEST(LastHit, WidensToTheStoredUnitAtOrBeforeNow) {
  const uint64_t hit = 1000 * kUnit + 123;  // within unit 1000
  EXPECT_EQ(last_hit_ns(stored_at(hit), hit), 1000 * kUnit);
  EXPECT_EQ(last_hit_ns(stored_at(hit), hit + 5 * kUnit), 1000 * kUnit);
}

TEST(LastHit, WidensAcrossTheU32Wrap) {
  // Hit just before the units wrap to zero, read just after: the earlier epoch.
  const uint64_t hit = (uint64_t{1} << 32) * kUnit - 3 * kUnit;
  const uint64_t now = (uint64_t{1} << 32) * kUnit + 7 * kUnit;
  EXPECT_EQ(last_hit_ns(stored_at(hit), now), hit);
  // A hit in the current epoch is not pushed back one.
  EXPECT_EQ(last_hit_ns(stored_at(now), now), now);
}

}  // namespace
}  // namespace tc2xdp::runtime
