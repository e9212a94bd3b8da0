// tc2xdp fmt FILE: print the rules in canonical tc syntax (explicit pref and handle).
#include <iostream>

#include "commands.h"
#include "rules_input.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::cli {

int run_fmt(const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tc2xdp fmt FILE   (- reads stdin)\n";
    return 2;
  }
  auto rules = load_rule_file(args[0]);
  if (!rules) return 1;
  std::cout << frontend::tc::print_rule_set(*rules);
  return 0;
}

}  // namespace tc2xdp::cli
