// Police actions in the plan. A police action's code is part of its rule's action list (shared by
// rules with the same steps); its bucket and configuration are data: one entry of the program's
// police map per police action instance, written by the runtime. A change of rate, burst or mtu
// is a map write, not a recompile.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tc2xdp/ir/action.h"
#include "tc2xdp/ir/police_params.h"

namespace tc2xdp::plan {

// One police action instance (one bucket). A filter's police is its own, keyed by the filter's
// stats slot; filters naming the same tc action index share one, keyed by the stats slot of one
// of them (the owner), which their action lists carry as a constant (ActionList::police_instance).
struct Policer {
  uint32_t id = 0;                // its police map entry
  std::optional<uint32_t> index;  // tc's action index, when filters share it by index
  ir::PoliceAction config;
  std::vector<size_t> rules;  // the rules that run it, into RuleSet::rules()
  bool operator==(const Policer&) const = default;
};

// flags of PolicerValue: which buckets the configuration has (tcf_police_params' *_present).
inline constexpr uint32_t kPoliceRate = 1, kPolicePeak = 2, kPolicePps = 4;

// The police map's value (`struct t2x_policer` in the program's BTF). The bucket fields change
// under the lock, from the program; the configuration and owner are written by the runtime,
// whole and under the lock (BPF_F_LOCK), together with a fresh bucket.
struct PolicerValue {
  uint32_t lock = 0;  // struct bpf_spin_lock
  uint32_t flags = 0;
  // The bucket (struct tcf_police's tcfp_toks, tcfp_ptoks, tcfp_pkttoks, tcfp_t_c).
  int64_t toks = 0, ptoks = 0, pkttoks = 0;
  int64_t t_c = 0;
  // The configuration (struct tcf_police_params), in nanoseconds of transmission time.
  int64_t burst = 0, pkt_burst = 0, mtu_ptoks = 0;
  int64_t pps_cost = 0;  // psched_pkt2t_ns(rate, 1): one packet at pkts_rate
  uint32_t mtu = 0;
  uint32_t rate_mult = 0, peak_mult = 0, rate_shift = 0, peak_shift = 0;
  uint32_t pad = 0;
  // Which police action this bucket belongs to (policer_owner): a bucket whose owner and
  // configuration are unchanged keeps its tokens across recompiles.
  uint64_t owner = 0;
};
static_assert(sizeof(PolicerValue) == 104);

// Per-CPU counters of a police action instance (tc -s: sent bytes and packets, overlimits,
// dropped). Bytes are qdisc_pkt_len's (docs/semantics.md).
struct PoliceCounters {
  uint64_t packets = 0, bytes = 0, overlimits = 0, drops = 0;
};

// The value for `config`, created at `created_ns` (a fresh bucket, as tcf_police_init leaves it).
PolicerValue encode_policer(const ir::PoliceAction& config, int64_t created_ns, uint64_t owner);

// A stable identity for the action behind a policer: its tc index, or its filter's chain, pref and
// handle; with its configuration.
uint64_t policer_owner(const Policer& policer, uint32_t chain, uint32_t pref, uint32_t handle);

// The police step as an action list holds it: the conform and exceed verdicts only (the rest is
// data).
ir::PoliceAction police_step(const ir::PoliceAction& config);

}  // namespace tc2xdp::plan
