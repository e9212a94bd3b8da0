#include "pipeline.h"

#include <net/if.h>

#include <iostream>

#include "rules_input.h"
#include "tc2xdp/runtime/host_devices.h"

namespace tc2xdp::cli {

std::optional<plan::LookupPolicy> parse_lookup_policy(const std::string& text) {
  if (text == "auto") return plan::LookupPolicy::kCostModel;
  if (text == "table") return plan::LookupPolicy::kAlwaysTable;
  if (text == "inline") return plan::LookupPolicy::kInlineOnly;
  if (text == "tree") return plan::LookupPolicy::kAlwaysTree;
  if (text == "tuples") return plan::LookupPolicy::kNoTree;
  return std::nullopt;
}

std::optional<Compiled> compile_file(const std::string& path, const codegen::EmitOptions& emit,
                                     plan::LookupPolicy lookup) {
  auto rules = load_rule_file(path);
  if (!rules) return std::nullopt;
  Diagnostics diags;
  plan::PlanOptions options = runtime::host_plan_options();
  options.lookup = lookup;
  plan::Plan plan = plan::make_plan(*rules, options, diags);
  std::cerr << diags.to_string();
  if (diags.has_errors()) return std::nullopt;
  auto program = codegen::compile(*rules, plan, emit);
  if (!program) {
    std::cerr << "tc2xdp: " << program.error().to_string() << "\n";
    return std::nullopt;
  }
  return Compiled{std::move(*rules), std::move(plan), std::move(*program)};
}

}  // namespace tc2xdp::cli
