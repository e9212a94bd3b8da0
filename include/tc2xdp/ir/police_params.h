// What the kernel makes of a police action: iproute2 (tc/m_police.c, tc_core.c) turns the words
// into a struct tc_police (burst in psched ticks), and tcf_police_init turns that into the values
// tcf_police_act works with (nanoseconds of transmission time, reciprocal rates). Both the
// reference and the compiled program start from these numbers, so they agree to the nanosecond
// with each other and with act_police.
#pragma once

#include <cstdint>

#include "tc2xdp/ir/action.h"

namespace tc2xdp::ir {

// psched_ratecfg_precompute / psched_ppscfg_precompute: time_ns(n) = (n * mult) >> shift, n bytes
// (or packets), with the largest mult below 2^32 that keeps the product exact for u32 n.
struct PschedRate {
  uint64_t rate = 0;  // bytes (packets) per second; 0: none
  uint32_t mult = 1;
  uint8_t shift = 0;
  bool operator==(const PschedRate&) const = default;
  // psched_l2t_ns (no overhead, mpu or ATM cells: tc2xdp rejects those) / psched_pkt2t_ns.
  uint64_t ns(uint32_t units) const { return (static_cast<uint64_t>(units) * mult) >> shift; }
};
PschedRate psched_rate(uint64_t rate);

// tc_calc_xmittime: the time to send `size` at `rate`, in psched ticks (64 ns), rounded up and
// capped at UINT32_MAX (iproute2 refuses a byte burst that reaches the cap).
uint32_t psched_xmit_ticks(uint64_t rate, uint64_t size);
inline constexpr uint32_t kPschedTickNs = 64;  // PSCHED_TICKS2NS(1)

// struct tcf_police_params, as tcf_police_init fills it for tc2xdp's subset (no avrate, overhead,
// mpu or linklayer). Token counts are nanoseconds of transmission time.
struct PoliceParams {
  bool rate_present = false;
  bool peak_present = false;
  bool pps_present = false;
  PschedRate rate, peak, pps;
  int64_t burst_ns = 0;      // tcfp_burst: the byte bucket's depth
  int64_t pkt_burst_ns = 0;  // tcfp_pkt_burst: the packet bucket's depth
  int64_t mtu_ptoks = 0;     // tcfp_mtu_ptoks: the peak bucket's depth (one mtu at peakrate)
  uint32_t mtu = 0;          // tcfp_mtu: longer packets exceed (~0: no limit)
  bool operator==(const PoliceParams&) const = default;
};
PoliceParams police_params(const PoliceAction& police);

// The bucket a police action keeps (struct tcf_police's tcfp_toks, _ptoks, _pkttoks, _t_c).
struct PoliceBucket {
  int64_t toks = 0, ptoks = 0, pkttoks = 0;
  int64_t t_c = 0;  // ktime_get_ns() of the last conforming packet (or of the action's creation)
  bool operator==(const PoliceBucket&) const = default;
};
// A police action as tcf_police_init leaves it at `created_ns`: both byte buckets full, the
// packet bucket empty (tcf_police_init never sets tcfp_pkttoks; the action is zero-allocated).
PoliceBucket fresh_bucket(const PoliceParams& params, int64_t created_ns);

}  // namespace tc2xdp::ir
