#include "tc2xdp/ir/police_params.h"

#include <cmath>

namespace tc2xdp::ir {

namespace {

constexpr uint64_t kNsPerSec = 1000000000;
// iproute2's tick_in_usec from /proc/net/psched (1000 ns per us over 64 ns per tick): fixed since
// Linux 2.6.24 made psched ticks 64 ns.
constexpr double kTicksPerUsec = 1000.0 / kPschedTickNs;
constexpr uint32_t kDefaultCellLog = 3;  // tc_calc_rtable_64 for its default mtu of 2047

int64_t ticks_to_ns(uint64_t ticks) {
  return static_cast<int64_t>(ticks << 6);
}

}  // namespace

PschedRate psched_rate(uint64_t rate) {
  PschedRate r;
  r.rate = rate;
  if (rate == 0) return r;
  // The largest power-of-two scaling of NSEC_PER_SEC / rate that sets bit 31 of the multiplier
  // (or would overflow the scaled numerator).
  uint64_t factor = kNsPerSec;
  for (;;) {
    r.mult = static_cast<uint32_t>(factor / rate);
    if ((r.mult & (1u << 31)) || (factor & (1ull << 63))) break;
    factor <<= 1;
    ++r.shift;
  }
  return r;
}

uint32_t psched_xmit_ticks(uint64_t rate, uint64_t size) {
  // The same double operations in the same order as tc_calc_xmittime, so the result is iproute2's.
  const double usec = 1000000.0 * (static_cast<double>(size) / static_cast<double>(rate));
  const double ticks = std::ceil(usec * kTicksPerUsec);
  return ticks > 4294967295.0 ? UINT32_MAX : static_cast<uint32_t>(ticks);
}

PoliceParams police_params(const PoliceAction& police) {
  PoliceParams p;
  // m_police.c: a burst's tick count only with a rate; pkts_burst as ticks at pkts_rate.
  if (police.rate_bytes_per_sec) {
    p.rate_present = true;
    p.rate = psched_rate(police.rate_bytes_per_sec);
    p.burst_ns = ticks_to_ns(psched_xmit_ticks(police.rate_bytes_per_sec, police.burst_bytes));
    if (police.peakrate_bytes_per_sec) {
      p.peak_present = true;
      p.peak = psched_rate(police.peakrate_bytes_per_sec);
    }
  }
  // tcf_police_init: no mtu means none, or with a rate 255 cells of the rate table.
  p.mtu = police.mtu;
  if (p.mtu == 0) {
    p.mtu = UINT32_MAX;
    if (p.rate_present) p.mtu = 255u << police.burst_cell_log.value_or(kDefaultCellLog);
  }
  if (p.peak_present) p.mtu_ptoks = static_cast<int64_t>(p.peak.ns(p.mtu));
  if (police.pkts_rate) {
    p.pps_present = true;
    p.pps = psched_rate(police.pkts_rate);
    p.pkt_burst_ns = ticks_to_ns(psched_xmit_ticks(police.pkts_rate, police.pkts_burst));
  }
  return p;
}

PoliceBucket fresh_bucket(const PoliceParams& params, int64_t created_ns) {
  PoliceBucket b;
  b.t_c = created_ns;
  b.toks = params.burst_ns;
  if (params.peak_present) b.ptoks = params.mtu_ptoks;
  return b;
}

}  // namespace tc2xdp::ir
