// tc2xdp -batch FILE ("-" for stdin): tc commands, one per line, applied per device as one
// transaction each — every device's changes compile and swap in once, or not at all.
#include <iostream>
#include <map>

#include "commands.h"
#include "datapath_cli.h"
#include "rules_input.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::cli {

int run_batch(const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tc2xdp -batch FILE   (- reads stdin)\n";
    return 2;
  }
  auto text = read_input(args[0]);
  if (!text) return 1;
  Diagnostics diags;
  auto commands = frontend::tc::parse_batch(*text, args[0] == "-" ? "<stdin>" : args[0], diags);
  if (diags.has_errors()) {
    std::cerr << diags.to_string();
    return 1;
  }
  // Every device's new rule set is computed before any device is touched.
  std::map<std::string, std::pair<ir::RuleSet, runtime::ApplyOptions>> devices;
  for (const auto& command : commands) {
    const std::string& dev = command.rule.dev;
    auto [it, fresh] = devices.try_emplace(dev);
    if (fresh) {
      if (auto current = runtime::Datapath::open(dev)) {
        it->second.first = current->rules();
        it->second.second.mode = current->mode();
      }
    }
    if (!it->second.first.apply(command, diags)) {
      std::cerr << diags.to_string() << "tc2xdp: nothing changed\n";
      return 1;
    }
  }
  int status = 0;
  for (const auto& [dev, change] : devices) status |= apply_rules(dev, change.first, change.second);
  return status;
}

}  // namespace tc2xdp::cli
