#include "datapath_cli.h"

#include <unistd.h>

#include <functional>
#include <iostream>

#include "datapath_store.h"
#include "tc2xdp/runtime/state_lock.h"

namespace tc2xdp::cli {

namespace {

using Applier = std::function<Result<runtime::ApplyReport>(Diagnostics&)>;

bool check_root() {
  if (geteuid() == 0) return true;
  std::cerr << "tc2xdp: attaching XDP programs needs root (CAP_BPF and CAP_NET_ADMIN)\n";
  return false;
}

int report(const std::string& dev, const Result<runtime::ApplyReport>& result,
           const Diagnostics& diags) {
  std::cerr << diags.to_string();
  if (!result) {
    std::cerr << "tc2xdp: " << result.error().to_string() << "\n"
              << "tc2xdp: nothing changed on " << dev << "\n";
    return 1;
  }
  const runtime::ApplyReport& r = result.value();
  for (const auto& note : r.notes) std::cerr << "tc2xdp: note: " << note << "\n";
  return 0;
}

int run_and_report(const std::string& dev, const Applier& apply) {
  if (!check_root()) return 1;
  Diagnostics diags;
  auto result = apply(diags);
  return report(dev, result, diags);
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
    return datapath_store().change(dev, delta, &rules, options, diags);
  });
}

int change_device(const std::string& dev, const runtime::RuleDelta& delta, Diagnostics& diags,
                  const std::string& rejected_note) {
  DatapathStore& store = datapath_store();
  // From reading the rules to writing them back: no other process's change in between is lost.
  auto lock = runtime::StateLock::acquire(dev);
  if (!lock) {
    std::cerr << "tc2xdp: " << lock.error().to_string() << "\n";
    return 1;
  }
  runtime::ApplyOptions options;
  auto current = store.open(dev);
  if (current) options.mode = (*current)->mode();
  if (!current || !store.resident()) {
    ir::RuleSet rules = current ? (*current)->rules() : ir::RuleSet{};
    for (const auto& command : delta) {
      if (!rules.apply(command, diags)) {
        std::cerr << diags.to_string() << rejected_note;
        return 1;
      }
    }
    return change_rules(dev, delta, rules, options);
  }
  if (!check_root()) return 1;
  Diagnostics apply_diags;
  auto result = store.change(dev, delta, nullptr, options, apply_diags);
  if (!result && result.error().operation == kRejectedCommands) {
    diags.append(apply_diags);
    std::cerr << diags.to_string() << rejected_note;
    return 1;
  }
  return report(dev, result, apply_diags);
}

}  // namespace tc2xdp::cli
