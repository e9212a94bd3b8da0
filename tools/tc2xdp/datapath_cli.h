// What the CLI's datapath commands share: mode parsing and applying a rule set with reporting.
#pragma once

#include <string>

#include "tc2xdp/ir/rule.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::cli {

// "native", "generic" or "hw"; an explicit mode turns off the generic fallback.
bool parse_mode(const std::string& word, runtime::ApplyOptions& options);

// Applies `rules` to `dev`, prints warnings, notes and errors; returns the exit status.
int apply_rules(const std::string& dev, const ir::RuleSet& rules,
                const runtime::ApplyOptions& options);

}  // namespace tc2xdp::cli
