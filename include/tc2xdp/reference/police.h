// The state police actions keep across frames, for the reference interpreter. act_police is the
// only action whose verdict depends on earlier packets; the interpreter makes that state, and the
// clock it reads, explicit (reference::Options::police, Options::now_ns), so runs are
// deterministic and a test can hold the same state the compiled program holds in its maps.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>

#include "tc2xdp/ir/police_params.h"

namespace tc2xdp::reference {

// Which police action a bucket belongs to: tc's action index when the filter gave one (filters
// naming one index bind to one action), else the filter and the action's position in its list.
struct PolicerKey {
  std::optional<uint32_t> index;
  uint32_t chain = 0, pref = 0, handle = 0;
  size_t action = 0;
  auto operator<=>(const PolicerKey&) const = default;
};

// tc -s's numbers for a police action: every packet it saw (bytes as qdisc_pkt_len counts them),
// those that exceeded, those its verdict dropped.
struct PolicerCounters {
  uint64_t packets = 0, bytes = 0, overlimits = 0, drops = 0;
  bool operator==(const PolicerCounters&) const = default;
};

struct Policer {
  // Of the filter that created it: tc binds later filters naming its index to it as it is.
  ir::Control conform, exceed;
  ir::PoliceParams params;
  ir::PoliceBucket bucket;
  PolicerCounters counters;
};

struct PoliceState {
  // An action met for the first time is created at this time (ns): buckets as tcf_police_init
  // leaves them.
  int64_t created_ns = 0;
  std::map<PolicerKey, Policer> policers;
};

// tcf_police_act's decision for a packet that tcf_police_mtu_check measures as `mtu_len` bytes and
// qdisc_pkt_len as `len` (at ingress: the frame without the MAC header and without an outer VLAN
// tag the stack took into metadata), at `now_ns`. The bucket takes the packet's tokens only when
// it conforms.
bool police_conforms(const ir::PoliceParams& params, ir::PoliceBucket& bucket, uint32_t mtu_len,
                     uint32_t len, int64_t now_ns);

}  // namespace tc2xdp::reference
