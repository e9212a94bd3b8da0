// act_police's numbers and decisions, computed by hand from the kernel's definitions
// (psched_ratecfg_precompute, PSCHED_TICKS2NS, iproute2's tc_calc_xmittime, tcf_police_act):
// the reference and the compiled program both start from ir::police_params.
#include <gtest/gtest.h>

#include "reference_test_util.h"
#include "tc2xdp/ir/police_params.h"
#include "tc2xdp/reference/police.h"

namespace tc2xdp::reference {
namespace {

constexpr int64_t kMs = 1000000;

ir::PoliceAction rate(uint64_t bytes_per_sec, uint32_t burst) {
  ir::PoliceAction p;
  p.rate_bytes_per_sec = bytes_per_sec;
  p.burst_bytes = burst;
  return p;
}

TEST(PoliceParams, ReciprocalRatesAreTheKernels) {
  // 1mbit: 8000 ns per byte, scaled by 2^19 so the multiplier sets bit 31.
  const ir::PschedRate mbit = ir::psched_rate(125000);
  EXPECT_EQ(mbit.mult, 4194304000u);
  EXPECT_EQ(mbit.shift, 19);
  EXPECT_EQ(mbit.ns(1500), 12000000u);
  const ir::PschedRate slow = ir::psched_rate(100);
  EXPECT_EQ(slow.mult, 2560000000u);
  EXPECT_EQ(slow.shift, 8);
  EXPECT_EQ(slow.ns(86), 860000000u);
  // Truncated, as the kernel's reciprocal is: a third of a second is 333333333 ns.
  const ir::PschedRate three = ir::psched_rate(3);
  EXPECT_EQ(three.shift, 3);
  EXPECT_EQ(three.ns(1), 333333333u);
}

TEST(PoliceParams, BurstsAreRoundedUpToPschedTicks) {
  EXPECT_EQ(ir::psched_xmit_ticks(125000, 10240), 1280000u);  // 81.92 ms
  EXPECT_EQ(ir::psched_xmit_ticks(3, 1), 5208334u);           // 5208333.3 ticks, rounded up
  EXPECT_EQ(ir::psched_xmit_ticks(1, 275), UINT32_MAX);       // over the cap
  const ir::PoliceParams p = ir::police_params(rate(125000, 10240));
  EXPECT_TRUE(p.rate_present);
  EXPECT_FALSE(p.peak_present);
  EXPECT_EQ(p.burst_ns, 81920000);
  EXPECT_EQ(ir::police_params(rate(3, 1)).burst_ns, 5208334 * 64);
}

TEST(PoliceParams, MtuDefaultsTo255CellsWithARateAndNoLimitWithout) {
  EXPECT_EQ(ir::police_params(rate(125000, 10240)).mtu, 2040u);
  ir::PoliceAction cell = rate(125000, 10240);
  cell.burst_cell_log = 4;
  EXPECT_EQ(ir::police_params(cell).mtu, 4080u);
  ir::PoliceAction pps;
  pps.pkts_rate = 10;
  pps.pkts_burst = 3;
  const ir::PoliceParams pp = ir::police_params(pps);
  EXPECT_EQ(pp.mtu, UINT32_MAX);
  EXPECT_TRUE(pp.pps_present);
  EXPECT_EQ(pp.pps.ns(1), 100000000u);
  EXPECT_EQ(pp.pkt_burst_ns, 300000000);
  EXPECT_EQ(pp.burst_ns, 0);
}

TEST(PoliceModel, ByteBucketSpendsItsBurstThenRefillsWithTime) {
  const ir::PoliceParams p = ir::police_params(rate(125000, 10240));  // 1mbit, 81.92 ms
  ir::PoliceBucket b = ir::fresh_bucket(p, 0);
  // 1500 bytes cost 12 ms: six fit, 9.92 ms are left.
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(police_conforms(p, b, 1514, 1500, 0)) << i;
  EXPECT_FALSE(police_conforms(p, b, 1514, 1500, 0));
  EXPECT_EQ(b.toks, 9920000);
  // 2.08 ms later exactly one more fits; a nanosecond earlier it does not.
  EXPECT_FALSE(police_conforms(p, b, 1514, 1500, 2079999));
  EXPECT_TRUE(police_conforms(p, b, 1514, 1500, 2080000));
  EXPECT_EQ(b.toks, 0);
  EXPECT_EQ(b.t_c, 2080000);
  // Refill stops at the burst however long the pause.
  EXPECT_TRUE(police_conforms(p, b, 1514, 1500, 3600 * 1000 * kMs));
  EXPECT_EQ(b.toks, 81920000 - 12000000);
  // Longer than the mtu (2040 by default): exceeds, whatever the tokens.
  EXPECT_FALSE(police_conforms(p, b, 2041, 2027, 3600 * 1000 * kMs));
}

TEST(PoliceModel, PacketBucketStartsEmpty) {
  ir::PoliceAction a;
  a.pkts_rate = 10;
  a.pkts_burst = 3;
  const ir::PoliceParams p = ir::police_params(a);
  ir::PoliceBucket b = ir::fresh_bucket(p, 0);
  EXPECT_FALSE(police_conforms(p, b, 60, 46, 0));  // tcfp_pkttoks starts at 0
  EXPECT_TRUE(police_conforms(p, b, 60, 46, 100 * kMs));
  EXPECT_FALSE(police_conforms(p, b, 60, 46, 100 * kMs));
  // 900 ms later the bucket is full again (300 ms): three packets.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(police_conforms(p, b, 60, 46, 1000 * kMs)) << i;
  EXPECT_FALSE(police_conforms(p, b, 60, 46, 1000 * kMs));
}

TEST(PoliceModel, PeakBucketHoldsOneMtuAtPeakRate) {
  ir::PoliceAction a = rate(125000, 10240);
  a.mtu = 2000;
  a.peakrate_bytes_per_sec = 250000;  // 2mbit: the mtu is 8 ms, 1500 bytes 6 ms
  const ir::PoliceParams p = ir::police_params(a);
  EXPECT_EQ(p.mtu_ptoks, 8 * kMs);
  ir::PoliceBucket b = ir::fresh_bucket(p, 0);
  EXPECT_TRUE(police_conforms(p, b, 1514, 1500, 0));
  EXPECT_EQ(b.ptoks, 2 * kMs);
  EXPECT_FALSE(police_conforms(p, b, 1514, 1500, 0));
  EXPECT_TRUE(police_conforms(p, b, 1514, 1500, 4 * kMs));
  EXPECT_EQ(b.ptoks, 0);
  EXPECT_EQ(b.toks, 81920000 - 24000000 + 4 * kMs);
}

TEST(PoliceModel, ClassifyCarriesStateAndCountsLikeTc) {
  const ir::RuleSet rules = testing::rules_from(
      "pref 1 protocol ip flower action police rate 1mbit burst 10k conform-exceed drop/ok\n"
      "pref 2 protocol all flower action police rate 1mbit burst 10k index 3 drop\n");
  PoliceState state;
  Options o = testing::options();
  o.police = &state;
  const auto ip = testing::FrameBuilder().eth().ipv4().udp().payload(1472).build();  // 1514
  for (int i = 0; i < 8; ++i) {
    const Outcome out = classify(rules, ip, 1, o);
    EXPECT_EQ(out.verdict, i < 6 ? Verdict::kPass : Verdict::kDrop) << i;
    EXPECT_FALSE(out.punted);
  }
  const Policer& own = state.policers.at({std::nullopt, 0, 1, 1, 0});
  EXPECT_EQ(own.counters, (PolicerCounters{8, 8 * 1500, 2, 2}));
  // Without carried state every frame meets a fresh policer.
  Options fresh = testing::options();
  const auto arp = testing::FrameBuilder().eth({.type = 0x0806}).payload(100).build();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(classify(rules, arp, 1, fresh).verdict, Verdict::kPass);
  // A tc index names the policer, whichever filter runs it.
  o.police = &state;
  EXPECT_EQ(classify(rules, arp, 1, o).verdict, Verdict::kPass);
  EXPECT_EQ(state.policers.at({3, 0, 0, 0, 0}).counters.packets, 1u);
}

}  // namespace
}  // namespace tc2xdp::reference
