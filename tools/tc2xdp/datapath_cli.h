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

}  // namespace tc2xdp::cli
