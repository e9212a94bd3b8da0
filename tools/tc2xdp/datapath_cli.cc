#include "datapath_cli.h"

#include <unistd.h>

#include <functional>
#include <iostream>

#include "datapath_store.h"

namespace tc2xdp::cli {

namespace {

using Applier = std::function<Result<runtime::ApplyReport>(Diagnostics&)>;

int run_and_report(const std::string& dev, const Applier& apply) {
  if (geteuid() != 0) {
    std::cerr << "tc2xdp: attaching XDP programs needs root (CAP_BPF and CAP_NET_ADMIN)\n";
    return 1;
  }
  Diagnostics diags;
  auto report = apply(diags);
  std::cerr << diags.to_string();
  if (!report) {
    std::cerr << "tc2xdp: " << report.error().to_string() << "\n"
              << "tc2xdp: nothing changed on " << dev << "\n";
    return 1;
  }
  for (const auto& note : report->notes) std::cerr << "tc2xdp: note: " << note << "\n";
  if (!report->attached_now && !report->counters_kept)
    std::cerr << "tc2xdp: note: the counters map grew; counters restart from zero\n";
  return 0;
}

}  // namespace

bool parse_mode(const std::string& word, runtime::ApplyOptions& options) {
  options.allow_generic_fallback = false;
  if (word == "native")
    options.mode = runtime::XdpMode::kNative;
  else if (word == "generic")
    options.mode = runtime::XdpMode::kGeneric;
  else if (word == "hw")
    options.mode = runtime::XdpMode::kHardware;
  else
    return false;
  return true;
}

int apply_rules(const std::string& dev, const ir::RuleSet& rules,
                const runtime::ApplyOptions& options) {
  return run_and_report(dev, [&](Diagnostics& diags) {
    return datapath_store().replace(dev, rules, options, diags);
  });
}

int change_rules(const std::string& dev, const runtime::RuleDelta& delta, const ir::RuleSet& rules,
                 const runtime::ApplyOptions& options) {
  return run_and_report(dev, [&](Diagnostics& diags) {
    return datapath_store().change(dev, delta, rules, options, diags);
  });
}

}  // namespace tc2xdp::cli
