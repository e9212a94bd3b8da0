// tc2xdp show DEV [-s] [-j]: the rules in tc syntax with per-rule counters; -j -s prints the shape
// of `tc -j -s filter show` (.options.handle, .options.actions[].stats.packets/bytes).
#include <time.h>

#include <iostream>
#include <sstream>
#include <string>

#include "commands.h"
#include "datapath_store.h"
#include "json_writer.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/flow_cache.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::cli {

namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC,
                &ts);  // the counters use its coarse version: a tick behind at most
  return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

using PoliceStats = std::vector<std::optional<plan::PoliceCounters>>;

std::string json_show(const runtime::Datapath& dp, const std::vector<plan::RuleCounters>* stats,
                      const PoliceStats* police) {
  JsonWriter out;
  out.begin_array();
  const auto& rules = dp.rules().rules();
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const auto& planned = dp.plan().rules[i];
    out.begin_object();
    out.field("protocol", frontend::tc::ethertype_name(rule.protocol));
    out.field("pref", rule.pref);
    out.field("kind", "flower");
    out.field("chain", rule.chain);
    out.key("options");
    out.begin_object();
    out.field("handle", rule.handle);
    out.field("match", frontend::tc::print_match(rule));
    out.field(planned.offloaded ? "in_xdp" : "not_in_xdp", true);
    out.field("offloaded", planned.offloaded);
    if (!planned.offloaded) out.field("punt_reason", planned.punt_reason);
    out.key("actions");
    out.begin_array();
    for (size_t a = 0; a < std::max<size_t>(rule.actions.size(), 1); ++a) {
      out.begin_object();
      out.field("order", a + 1);
      out.field("kind", rule.actions.empty() ? "gact" : ir::action_kind_name(rule.actions[a].body));
      const bool policer = !rule.actions.empty() &&
                           std::holds_alternative<ir::PoliceAction>(rule.actions[a].body) &&
                           police && (*police)[i];
      if (policer) {
        // tc -s's police stats: the action's own packets, bytes, drops and overlimits.
        const auto& p = *(*police)[i];
        out.key("stats");
        out.begin_object();
        out.field("bytes", p.bytes);
        out.field("packets", p.packets);
        out.field("drops", p.drops);
        out.field("overlimits", p.overlimits);
        out.end_object();
      } else if (stats) {
        const auto& c = (*stats)[i];
        out.key("stats");
        out.begin_object();
        out.field("bytes", c.bytes);
        out.field("packets", c.packets);
        out.end_object();
      }
      out.end_object();
    }
    out.end_array();
    out.end_object();
    out.end_object();
  }
  out.end_array();
  return out.str() + "\n";
}

std::string text_show(const runtime::Datapath& dp, const std::vector<plan::RuleCounters>* stats,
                      const PoliceStats* police) {
  std::ostringstream out;
  const auto& rules = dp.rules().rules();
  const uint64_t now = now_ns();
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& planned = dp.plan().rules[i];
    out << frontend::tc::print_rule(rules[i]) << "\n";
    out << "  " << (planned.offloaded ? "in xdp" : "punted to the stack: " + planned.punt_reason)
        << "\n";
    if (stats) {
      const auto& c = (*stats)[i];
      out << "  Sent " << c.bytes << " bytes " << c.packets << " pkt";
      if (c.last_hit_ns) out << " (last hit " << (now - c.last_hit_ns) / 1000000000ull << " s ago)";
      out << "\n";
    }
    if (police && (*police)[i]) {
      const auto& p = *(*police)[i];
      out << "  police: Sent " << p.bytes << " bytes " << p.packets << " pkt (dropped " << p.drops
          << ", overlimits " << p.overlimits << ")\n";
    }
  }
  return out.str();
}

}  // namespace

int run_show(const Args& args) {
  std::string dev;
  bool with_stats = false, json = false;
  for (const auto& a : args) {
    if (a == "-s" || a == "-stats" || a == "--stats")
      with_stats = true;
    else if (a == "-j" || a == "-json" || a == "--json")
      json = true;
    else if (a == "-js" || a == "-sj")
      with_stats = json = true;
    else if (dev.empty())
      dev = a;
    else
      dev.clear(), dev = "\x01";
  }
  if (dev.empty() || dev == "\x01") {
    std::cerr << "usage: tc2xdp show DEV [-s] [-j]\n";
    return 2;
  }
  auto opened = datapath_store().open(dev);
  if (!opened) {
    std::cerr << "tc2xdp: " << opened.error().to_string() << "\n";
    return 1;
  }
  const runtime::Datapath* dp = *opened;
  std::optional<std::vector<plan::RuleCounters>> stats;
  std::optional<PoliceStats> police;
  if (with_stats) {
    auto read = dp->counters();
    if (!read) {
      std::cerr << "tc2xdp: " << read.error().to_string() << "\n";
      return 1;
    }
    stats = std::move(*read);
    auto policed = dp->police_counters();
    if (!policed) {
      std::cerr << "tc2xdp: " << policed.error().to_string() << "\n";
      return 1;
    }
    police = std::move(*policed);
  }
  const PoliceStats* policed = police ? &*police : nullptr;
  std::cout << (json ? json_show(*dp, stats ? &*stats : nullptr, policed)
                     : text_show(*dp, stats ? &*stats : nullptr, policed));
  return 0;
}

int run_status(const Args& args) {
  const auto names = runtime::Datapath::managed();
  if (names.empty()) std::cout << "no interfaces under tc2xdp\n";
  for (const auto& name : names) {
    auto opened = datapath_store().open(name);
    if (!opened) {
      std::cout << name << ": " << opened.error().to_string() << "\n";
      continue;
    }
    const runtime::Datapath* dp = *opened;
    const plan::FlowCache& cache = dp->plan().flow_cache;
    std::string cached = "no flow cache";
    if (cache.enabled()) {
      cached =
          "flow cache " + std::to_string(cache.sets * plan::kFlowCacheWays) + " entries per CPU";
      auto counts = dp->flow_cache_counts();
      if (counts && *counts)
        cached += " (" + std::to_string((*counts)->walks) + " misses)";
    }
    std::cout << name << ": " << dp->rules().size() << " filters (" << dp->plan().punted_count()
              << " punted), xdp " << runtime::xdp_mode_name(dp->mode()) << ", " << cached
              << ", prog id " << dp->program_id() << "\n";
  }
  return 0;
}

}  // namespace tc2xdp::cli
