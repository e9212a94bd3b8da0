// act_police (tcf_police_act), step by step on explicit state. Tokens are nanoseconds of
// transmission time: a bucket refills by the time elapsed since the last conforming packet, up
// to its depth, and a packet costs its length's transmission time at the rate.
#include <algorithm>
#include <string>

#include "bytes.h"
#include "frame_actions.h"
#include "tc2xdp/reference/police.h"

namespace tc2xdp::reference {

bool police_conforms(const ir::PoliceParams& p, ir::PoliceBucket& b, uint32_t mtu_len, uint32_t len,
                     int64_t now_ns) {
  if (mtu_len > p.mtu) return false;
  if (!p.rate_present && !p.pps_present) return true;  // an mtu check alone
  // The elapsed time is signed: on another CPU `now` may precede the last update.
  const int64_t elapsed = now_ns - b.t_c;
  int64_t toks = std::min(elapsed, p.burst_ns);
  int64_t ptoks = 0, pkttoks = 0;
  if (p.peak_present) {
    ptoks = std::min(toks + b.ptoks, p.mtu_ptoks);
    ptoks -= static_cast<int64_t>(p.peak.ns(len));
  }
  if (p.rate_present) {
    toks = std::min(toks + b.toks, p.burst_ns);
    toks -= static_cast<int64_t>(p.rate.ns(len));
  } else if (p.pps_present) {
    pkttoks = std::min(elapsed, p.pkt_burst_ns) + b.pkttoks;
    pkttoks = std::min(pkttoks, p.pkt_burst_ns);
    pkttoks -= static_cast<int64_t>(p.pps.ns(1));
  }
  if ((toks | ptoks | pkttoks) < 0) return false;
  b = {toks, ptoks, pkttoks, now_ns};
  return true;
}

}  // namespace tc2xdp::reference

namespace tc2xdp::reference::detail {

ir::Control run_police(const ir::PoliceAction& p, const ir::Action& a, const ir::Rule& rule,
                       size_t position, std::span<const uint8_t> frame, const Options& options,
                       std::string& note) {
  PoliceState fresh{options.now_ns, {}};
  PoliceState& state = options.police ? *options.police : fresh;
  PolicerKey key;
  if (a.index) {
    key.index = a.index;
  } else {
    key = {std::nullopt, rule.chain, rule.pref, rule.handle, position};
  }
  auto [it, created] = state.policers.try_emplace(key);
  Policer& policer = it->second;
  if (created) {
    policer.conform = p.conform;
    policer.exceed = p.exceed;
    policer.params = ir::police_params(p);
    policer.bucket = ir::fresh_bucket(policer.params, state.created_ns);
  }
  // At tc ingress the MAC header is pulled (qdisc_pkt_len counts from the network header) and an
  // outer VLAN tag is in skb metadata; tcf_police_mtu_check adds the MAC header back.
  const uint32_t mtu_len = static_cast<uint32_t>(SkbView::of(frame).length(frame.size()));
  const uint32_t len = mtu_len - static_cast<uint32_t>(kEthHlen);
  const bool conforms =
      police_conforms(policer.params, policer.bucket, mtu_len, len, options.now_ns);
  const ir::Control verdict = conforms ? policer.conform : policer.exceed;
  PolicerCounters& c = policer.counters;
  ++c.packets;
  c.bytes += len;
  if (!conforms) ++c.overlimits;
  // An mtu check alone returns its conform verdict without counting a drop.
  const bool checked_rate = policer.params.rate_present || policer.params.pps_present;
  if (verdict.kind == ir::ControlKind::kDrop && (!conforms || checked_rate)) ++c.drops;
  note = "police " + std::to_string(len) + " bytes (" + std::to_string(mtu_len) +
         " for the mtu check): " + (conforms ? "conform" : "exceed") + ", bucket " +
         std::to_string(policer.bucket.toks) + " ns";
  return verdict;
}

}  // namespace tc2xdp::reference::detail
