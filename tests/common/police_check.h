// Police state in the differential tests: both sides' buckets started alike, and the program's
// police counters compared with the reference's, instance by instance.
#pragma once

#include <string>
#include <variant>

#include "tc2xdp/plan/plan.h"
#include "tc2xdp/reference/police.h"
#include "tc2xdp/runtime/police_state.h"
#include "tc2xdp/runtime/program_check.h"

namespace tc2xdp::testing {

// Every bucket on both sides as if its action had been created `age_ns` ago: byte buckets full,
// packet buckets filled by that much time. The reference's clock then stands at 0.
inline Status age_policers(runtime::LoadedProgram& loaded, reference::PoliceState& state,
                           int64_t age_ns) {
  state = {-age_ns, {}};
  return loaded.restart_policers(runtime::monotonic_ns() - age_ns);
}

// The reference's key of the police action behind a plan's instance.
inline reference::PolicerKey policer_key(const plan::Policer& p, const ir::RuleSet& rules) {
  reference::PolicerKey key;
  if (p.index) {
    key.index = p.index;
    return key;
  }
  const ir::Rule& r = rules.rules()[p.rules.front()];
  key = {std::nullopt, r.chain, r.pref, r.handle, 0};
  while (!std::holds_alternative<ir::PoliceAction>(r.actions[key.action].body)) ++key.action;
  return key;
}

// "" when every instance's counters (packets, bytes, overlimits, drops) agree; else the first
// that does not.
inline std::string police_counter_diff(const plan::Plan& plan, const ir::RuleSet& rules,
                                       const runtime::LoadedProgram& loaded,
                                       const reference::PoliceState& state) {
  for (const plan::Policer& p : plan.policers) {
    auto read = runtime::read_policer(loaded.police_maps(), p.id);
    if (!read) return read.error().to_string();
    auto it = state.policers.find(policer_key(p, rules));
    const reference::PolicerCounters want =
        it == state.policers.end() ? reference::PolicerCounters{} : it->second.counters;
    const plan::PoliceCounters& have = read->counters;
    if (have.packets != want.packets || have.bytes != want.bytes ||
        have.overlimits != want.overlimits || have.drops != want.drops) {
      const ir::Rule& r = rules.rules()[p.rules.front()];
      return "police counters of instance " + std::to_string(p.id) + " (pref " +
             std::to_string(r.pref) + "): program " + std::to_string(have.packets) + " pkt " +
             std::to_string(have.bytes) + " B " + std::to_string(have.overlimits) + " over " +
             std::to_string(have.drops) + " dropped, reference " + std::to_string(want.packets) +
             " pkt " + std::to_string(want.bytes) + " B " + std::to_string(want.overlimits) +
             " over " + std::to_string(want.drops) + " dropped";
    }
  }
  return {};
}

}  // namespace tc2xdp::testing
