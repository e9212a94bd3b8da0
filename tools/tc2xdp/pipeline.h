// The CLI's path from a rules file to a BPF object: parse, plan, lower.
#pragma once

#include <optional>
#include <string>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::cli {

struct Compiled {
  ir::RuleSet rules;
  plan::Plan plan;
  codegen::BpfProgram program;
};

// Loads, plans and compiles a rules file. Diagnostics (punt warnings included) go to stderr;
// nullopt after any error.
std::optional<Compiled> compile_file(const std::string& path, const codegen::EmitOptions& emit,
                                     plan::LookupPolicy lookup = plan::LookupPolicy::kCostModel);
// "auto", "table" or "inline" (the --lookup option).
std::optional<plan::LookupPolicy> parse_lookup_policy(const std::string& text);

}  // namespace tc2xdp::cli
