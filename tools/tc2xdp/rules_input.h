// Reading rule files for the CLI: a path or "-" for stdin, parsed and loaded transactionally.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"

namespace tc2xdp::cli {

// Input texts by path as given ("-" is stdin), read ahead of the command: a client reads them to
// ship them to the daemon, and falls back on them if it runs the command itself after all.
using InputTexts = std::map<std::string, std::string>;

// While alive, read_input serves paths from `inputs` first. `exclusive`: any other path is an
// error rather than opened (the daemon never reads its own files or stdin for a client).
class ScopedInputs {
 public:
  ScopedInputs(const InputTexts& inputs, bool exclusive);
  ~ScopedInputs();
  ScopedInputs(const ScopedInputs&) = delete;
  ScopedInputs& operator=(const ScopedInputs&) = delete;

 private:
  const InputTexts* previous_inputs_;
  bool previous_exclusive_;
};

// The whole content of `path` ("-" reads stdin); nullopt with an error printed if unreadable.
std::optional<std::string> read_input(const std::string& path);

// Parses and loads a tc batch file into a fresh rule set. Diagnostics (errors and warnings) are
// printed to stderr; nullopt if there was any error.
std::optional<ir::RuleSet> load_rule_file(const std::string& path);

}  // namespace tc2xdp::cli
