#include "police_plan.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <variant>

namespace tc2xdp::plan {

namespace {

using ir::ControlKind;

const char* verdict_word(ControlKind kind) {
  switch (kind) {
    case ControlKind::kOk: return "ok";
    case ControlKind::kDrop: return "drop";
    case ControlKind::kContinue: return "continue";
    case ControlKind::kPipe: return "pipe";
    case ControlKind::kReclassify: return "reclassify";
    case ControlKind::kStolen: return "stolen";
    case ControlKind::kTrap: return "trap";
    case ControlKind::kGotoChain: return "goto chain";
    case ControlKind::kJump: return "jump";
  }
  return "?";
}

// Why a police verdict has no XDP form; empty for ok, drop and pipe.
std::string verdict_reason(const char* which, const ir::Control& c) {
  switch (c.kind) {
    case ControlKind::kOk:
    case ControlKind::kDrop:
    case ControlKind::kPipe: return {};
    case ControlKind::kReclassify:
      return std::string("police ") + which +
             " reclassify (tc's default exceed verdict) is not offloaded: it restarts "
             "classification after the policer decided";
    case ControlKind::kContinue:
    case ControlKind::kGotoChain:
      return std::string("police ") + which + " " + verdict_word(c.kind) +
             " is not offloaded: the policer decides in the action code, after classification";
    case ControlKind::kJump: return std::string("police ") + which + " jump is not offloaded";
    case ControlKind::kStolen:
    case ControlKind::kTrap:
      return std::string("police ") + which + " " + verdict_word(c.kind) + " is not offloaded";
  }
  return "police verdict not offloaded";
}

std::string owner_text(const Policer& p, uint32_t chain, uint32_t pref, uint32_t handle) {
  std::string s = p.index ? "index " + std::to_string(*p.index)
                          : "filter " + std::to_string(chain) + "/" + std::to_string(pref) + "/" +
                                std::to_string(handle);
  const ir::PoliceAction& c = p.config;
  for (uint64_t v :
       {c.rate_bytes_per_sec, uint64_t{c.burst_bytes}, uint64_t{c.mtu}, c.peakrate_bytes_per_sec,
        c.pkts_rate, c.pkts_burst, uint64_t{c.burst_cell_log.value_or(0xff)}})
    s += " " + std::to_string(v);
  return s;
}

}  // namespace

std::string police_punt_reason(const ir::PoliceAction& police,
                               const std::vector<ir::ActionBody>& steps, bool copied) {
  // XDP sends copies by one broadcast with the verdict; a copy made before the policer decides
  // leaves even when it drops.
  if (copied)
    return "police after a mirred copy is not offloaded (the copies leave with the verdict)";
  if (has_police(steps))
    return "a second police action in one filter is not offloaded (one bucket per filter)";
  if (auto why = verdict_reason("exceed", police.exceed); !why.empty()) return why;
  return verdict_reason("conform", police.conform);
}

bool police_pipes(const ir::PoliceAction& police) {
  return police.conform.kind == ControlKind::kPipe || police.exceed.kind == ControlKind::kPipe;
}

Terminal::Kind police_end(const ir::PoliceAction& police) {
  return police.conform.kind == ControlKind::kDrop ? Terminal::Kind::kDrop : Terminal::Kind::kPass;
}

bool has_police(const std::vector<ir::ActionBody>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const ir::ActionBody& s) {
    return std::holds_alternative<ir::PoliceAction>(s);
  });
}

bool police_may_pass(const std::vector<ir::ActionBody>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const ir::ActionBody& s) {
    const auto* p = std::get_if<ir::PoliceAction>(&s);
    return p && (p->conform.kind == ControlKind::kOk || p->exceed.kind == ControlKind::kOk);
  });
}

void keep_policed_steps(std::vector<ir::ActionBody>& steps) {
  while (!steps.empty() && !std::holds_alternative<ir::PoliceAction>(steps.back()))
    steps.pop_back();
}

const ir::Action* police_of(const ir::Rule& rule) {
  for (const auto& a : rule.actions)
    if (std::holds_alternative<ir::PoliceAction>(a.body)) return &a;
  return nullptr;
}

std::map<uint32_t, uint32_t> shared_police_ids(const ir::RuleSet& rules,
                                               const std::vector<uint32_t>& slots,
                                               const std::map<RuleKey, uint32_t>& previous) {
  struct Owner {
    uint32_t slot = UINT32_MAX;
    bool was_live = false;
  };
  std::map<uint32_t, Owner> owners;
  for (size_t i = 0; i < rules.size(); ++i) {
    const ir::Rule& r = rules.rules()[i];
    const ir::Action* police = police_of(r);
    if (!police || !police->index) continue;
    Owner& o = owners[*police->index];
    const bool live = previous.contains({r.chain, r.pref, r.handle});
    if ((live && !o.was_live) || (live == o.was_live && slots[i] < o.slot)) o = {slots[i], live};
  }
  std::map<uint32_t, uint32_t> ids;
  for (const auto& [index, o] : owners) ids[index] = o.slot;
  return ids;
}

void plan_policers(Plan& plan, const ir::RuleSet& rules, Diagnostics& diags) {
  // Shared indexes: one bucket, so all of their filters in XDP or none, configured alike.
  // Every police action naming an index counts, even one its list never reaches: tc creates
  // (or binds) it all the same, and the first filter's configuration is the one kept.
  std::map<uint32_t, std::vector<std::pair<size_t, const ir::PoliceAction*>>> groups;
  for (size_t i = 0; i < rules.size(); ++i)
    for (const ir::Action& a : rules.rules()[i].actions)
      if (const auto* police = std::get_if<ir::PoliceAction>(&a.body); police && a.index)
        groups[*a.index].emplace_back(i, police);
  for (const auto& [index, members] : groups) {
    std::string why;
    for (const auto& [i, police] : members) {
      if (!plan.rules[i].offloaded)
        why =
            "shares police index " + std::to_string(index) + " with a filter that is not offloaded";
      if (*police != *members.front().second)
        why = "police index " + std::to_string(index) +
              " is configured differently by several filters (tc keeps the first one's)";
    }
    if (why.empty()) continue;
    for (const auto& [i, police] : members) {
      PlannedRule& pr = plan.rules[i];
      if (!pr.offloaded) continue;
      pr.offloaded = false;
      pr.terminal = Terminal{Terminal::Kind::kPunt};
      pr.punt_reason = why;
      diags.warning(rules.rules()[i].origin, "filter not offloaded: " + why, "police",
                    "its packets go to the kernel stack, where tc still applies it");
    }
  }
  // One instance per offloaded police action, or per shared index.
  std::map<uint32_t, size_t> shared;  // tc index -> plan.policers position
  for (size_t i = 0; i < plan.rules.size(); ++i) {
    const PlannedRule& pr = plan.rules[i];
    if (!pr.offloaded || !pr.terminal.actions) continue;
    const ActionList& list = plan.action_lists[*pr.terminal.actions];
    if (!has_police(list.steps)) continue;
    const ir::Action& police = *police_of(rules.rules()[i]);
    const auto& config = std::get<ir::PoliceAction>(police.body);
    if (police.index) {
      auto [it, fresh] = shared.try_emplace(*police.index, plan.policers.size());
      if (fresh) plan.policers.push_back({*list.police_instance, police.index, config, {}});
      plan.policers[it->second].rules.push_back(i);
      continue;
    }
    plan.policers.push_back({pr.stats_slot, std::nullopt, config, {i}});
  }
}

ir::PoliceAction police_step(const ir::PoliceAction& config) {
  ir::PoliceAction step;
  step.conform = config.conform;
  step.exceed = config.exceed;
  return step;
}

PolicerValue encode_policer(const ir::PoliceAction& config, int64_t created_ns, uint64_t owner) {
  const ir::PoliceParams p = ir::police_params(config);
  const ir::PoliceBucket b = ir::fresh_bucket(p, created_ns);
  PolicerValue v;
  v.flags = (p.rate_present ? kPoliceRate : 0) | (p.peak_present ? kPolicePeak : 0) |
            (p.pps_present ? kPolicePps : 0);
  v.toks = b.toks;
  v.ptoks = b.ptoks;
  v.pkttoks = b.pkttoks;
  v.t_c = b.t_c;
  v.burst = p.burst_ns;
  v.pkt_burst = p.pkt_burst_ns;
  v.mtu_ptoks = p.mtu_ptoks;
  v.pps_cost = static_cast<int64_t>(p.pps.ns(1));
  v.mtu = p.mtu;
  v.rate_mult = p.rate.mult;
  v.rate_shift = p.rate.shift;
  v.peak_mult = p.peak.mult;
  v.peak_shift = p.peak.shift;
  v.owner = owner;
  return v;
}

uint64_t policer_owner(const Policer& policer, uint32_t chain, uint32_t pref, uint32_t handle) {
  // FNV-1a over a canonical text: stable across processes and versions of the layout.
  uint64_t h = 1469598103934665603ull;
  for (char c : owner_text(policer, chain, pref, handle)) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h | 1;  // never 0, the value of an entry nothing wrote
}

}  // namespace tc2xdp::plan
