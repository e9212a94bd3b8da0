// Reading rule files for the CLI: a path or "-" for stdin, parsed and loaded transactionally.
#pragma once

#include <optional>
#include <string>

#include "input_texts.h"
#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"

namespace tc2xdp::cli {

// While alive, read_input serves paths from `inputs` only: any other path is an error rather
// than opened (the daemon reads no file and no stdin of its own for a client's request).
class ScopedInputs {
 public:
  explicit ScopedInputs(const InputTexts& inputs);
  ~ScopedInputs();
  ScopedInputs(const ScopedInputs&) = delete;
  ScopedInputs& operator=(const ScopedInputs&) = delete;

 private:
  const InputTexts* previous_;
};

// The whole content of `path` ("-" reads stdin); nullopt with an error printed if unreadable.
std::optional<std::string> read_input(const std::string& path);

// Parses and loads a tc batch file into a fresh rule set. Diagnostics (errors and warnings) are
// printed to stderr; nullopt if there was any error.
std::optional<ir::RuleSet> load_rule_file(const std::string& path);

}  // namespace tc2xdp::cli
