#include "rules_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::cli {

namespace {

const InputTexts* scoped_inputs = nullptr;

}  // namespace

ScopedInputs::ScopedInputs(const InputTexts& inputs) : previous_(scoped_inputs) {
  scoped_inputs = &inputs;
}

ScopedInputs::~ScopedInputs() {
  scoped_inputs = previous_;
}

std::optional<std::string> read_input(const std::string& path) {
  if (scoped_inputs) {
    if (auto it = scoped_inputs->find(path); it != scoped_inputs->end()) return it->second;
    std::cerr << path << ": error: cannot open: the client did not send it to the daemon\n";
    return std::nullopt;
  }
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << path << ": error: cannot open: " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::optional<ir::RuleSet> load_rule_file(const std::string& path) {
  auto text = read_input(path);
  if (!text) return std::nullopt;
  Diagnostics diags;
  ir::RuleSet rules;
  const bool ok = frontend::tc::load_rules(*text, path == "-" ? "<stdin>" : path, rules, diags);
  std::cerr << diags.to_string();
  if (!ok || diags.has_errors()) return std::nullopt;
  return rules;
}

}  // namespace tc2xdp::cli
