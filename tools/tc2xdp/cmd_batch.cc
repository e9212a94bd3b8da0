// tc2xdp -batch FILE ("-" for stdin): tc commands, one per line, applied per device as one
// transaction each — every device's changes compile and swap in once, or not at all.
#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "datapath_cli.h"
#include "datapath_store.h"
#include "rules_input.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"
#include "tc2xdp/runtime/state_lock.h"

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
  // One device, the common case: the daemon lets the Datapath it holds check the commands.
  if (!commands.empty() && std::all_of(commands.begin(), commands.end(), [&](const ir::Command& c) {
        return c.rule.dev == commands[0].rule.dev;
      }))
    return change_device(commands[0].rule.dev, commands, diags, "tc2xdp: nothing changed\n");
  // Several: every device's new rule set is computed before any device is touched.
  struct Change {
    ir::RuleSet rules;
    runtime::RuleDelta delta;
    runtime::ApplyOptions options;
  };
  std::map<std::string, Change> devices;
  // Every device locked, in name order, before any is read (see change_device).
  std::set<std::string> names;
  for (const auto& command : commands) names.insert(command.rule.dev);
  std::map<std::string, runtime::StateLock> locks;
  for (const std::string& dev : names) {
    auto lock = runtime::StateLock::acquire(dev);
    if (!lock) {
      std::cerr << "tc2xdp: " << lock.error().to_string() << "\n";
      return 1;
    }
    locks.emplace(dev, std::move(*lock));
  }
  for (const auto& command : commands) {
    const std::string& dev = command.rule.dev;
    auto [it, fresh] = devices.try_emplace(dev);
    Change& change = it->second;
    if (fresh) {
      if (auto current = datapath_store().open(dev)) {
        change.rules = (*current)->rules();
        change.options.mode = (*current)->mode();
      }
    }
    if (!change.rules.apply(command, diags)) {
      std::cerr << diags.to_string() << "tc2xdp: nothing changed\n";
      return 1;
    }
    change.delta.push_back(command);
  }
  int status = 0;
  for (const auto& [dev, change] : devices)
    status |= change_rules(dev, change.delta, change.rules, change.options);
  return status;
}

}  // namespace tc2xdp::cli
