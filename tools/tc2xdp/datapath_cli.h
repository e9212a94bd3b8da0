// What the CLI's datapath commands share: mode parsing and applying a rule set with reporting.
#pragma once

#include <string>

#include "tc2xdp/ir/rule.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::cli {

// "native", "generic" or "hw"; an explicit mode turns off the generic fallback.
bool parse_mode(const std::string& word, runtime::ApplyOptions& options);

// Makes `dev`'s rules exactly `rules`; prints warnings, notes and errors; returns the exit status.
int apply_rules(const std::string& dev, const ir::RuleSet& rules,
                const runtime::ApplyOptions& options);

// The same for `rules` = `dev`'s current rules (as datapath_store().open gave them) changed by
// `delta`: the daemon applies the delta to the interface it holds open.
int change_rules(const std::string& dev, const runtime::RuleDelta& delta, const ir::RuleSet& rules,
                 const runtime::ApplyOptions& options);

// Applies `delta` (commands for `dev` alone, parsed into `diags`) to `dev`'s current rules. If tc
// would reject a command, prints `diags` with the error, then `rejected_note`, and returns 1;
// else as change_rules. A CLI process checks the commands on a copy of the rules; the daemon lets
// the Datapath it holds check them as it applies them, with no copy of the rule set.
int change_device(const std::string& dev, const runtime::RuleDelta& delta, Diagnostics& diags,
                  const std::string& rejected_note);

}  // namespace tc2xdp::cli
