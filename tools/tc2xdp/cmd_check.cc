// tc2xdp check FILE...: parse and validate rule files; exit 1 on any error.
#include <iostream>

#include "commands.h"
#include "rules_input.h"

namespace tc2xdp::cli {

int run_check(const Args& args) {
  if (args.empty()) {
    std::cerr << "usage: tc2xdp check FILE...\n";
    return 2;
  }
  int status = 0;
  for (const auto& path : args) {
    auto rules = load_rule_file(path);
    if (!rules) {
      status = 1;
      continue;
    }
    std::cout << path << ": " << rules->size() << " filters, no errors\n";
  }
  return status;
}

}  // namespace tc2xdp::cli
