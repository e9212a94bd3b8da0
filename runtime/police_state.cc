#include "tc2xdp/runtime/police_state.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tc2xdp/runtime/map_io.h"

namespace tc2xdp::runtime {

namespace {

uint64_t owner_of(const plan::Policer& p, const plan::Plan& plan) {
  const plan::PlannedRule& r = plan.rules[p.rules.front()];
  return plan::policer_owner(p, r.chain, r.pref, r.handle);
}

}  // namespace

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Status write_policers(const plan::Plan& plan, const PoliceMapFds& maps, bool keep_live,
                      std::optional<int64_t> created_ns, uint32_t* writes) {
  if (plan.policers.empty()) return Ok{};
  auto cpus = possible_cpus();
  if (!cpus) return cpus.error();
  const std::vector<uint8_t> zeros(sizeof(plan::PoliceCounters) * *cpus, 0);
  for (const plan::Policer& p : plan.policers) {
    const uint64_t owner = owner_of(p, plan);
    if (keep_live) {
      plan::PolicerValue live;
      if (bpf_map_lookup_elem_flags(maps.buckets, &p.id, &live, BPF_F_LOCK) == 0 &&
          live.owner == owner)
        continue;
    }
    // Counters first: the bucket's first packet then counts from zero.
    if (auto s = update_elem(maps.counters, bytes_of(p.id), zeros); !s) return s;
    const plan::PolicerValue value =
        plan::encode_policer(p.config, created_ns.value_or(monotonic_ns()), owner);
    if (auto s = update_elem(maps.buckets, bytes_of(p.id), bytes_of(value), BPF_F_LOCK); !s)
      return s;
    if (writes) *writes += 2;
  }
  return Ok{};
}

Result<PolicerReading> read_policer(const PoliceMapFds& maps, uint32_t id) {
  PolicerReading out;
  if (bpf_map_lookup_elem_flags(maps.buckets, &id, &out.value, BPF_F_LOCK) != 0)
    return Error{"read police bucket", errno, "instance " + std::to_string(id)};
  auto sums = read_percpu_u64(maps.counters, id, 4);
  if (!sums) return sums.error();
  out.counters = {(*sums)[0], (*sums)[1], (*sums)[2], (*sums)[3]};
  return out;
}

const plan::Policer* policer_of_rule(const plan::Plan& plan, size_t rule_index) {
  for (const auto& p : plan.policers)
    if (std::find(p.rules.begin(), p.rules.end(), rule_index) != p.rules.end()) return &p;
  return nullptr;
}

}  // namespace tc2xdp::runtime
