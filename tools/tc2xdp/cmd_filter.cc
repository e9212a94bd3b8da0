// tc2xdp filter add|replace|change|del dev DEV ingress ... flower ...: one change, tc's syntax.
#include <iostream>

#include "commands.h"
#include "datapath_cli.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::cli {

int run_filter(const Args& args) {
  Args words = {"filter"};
  words.insert(words.end(), args.begin(), args.end());
  Diagnostics diags;
  auto commands = frontend::tc::parse_words(words, "<cmdline>", diags);
  if (diags.has_errors() || commands.size() != 1) {
    std::cerr << diags.to_string();
    if (!diags.has_errors())
      std::cerr << "usage: tc2xdp filter add|replace|change|del dev DEV ...\n";
    return diags.has_errors() ? 1 : 2;
  }
  const std::string dev = commands[0].rule.dev;
  if (dev.empty()) {
    std::cerr << "tc2xdp: the filter command needs 'dev DEV'\n";
    return 2;
  }
  return change_device(dev, {commands[0]}, diags, "");
}

}  // namespace tc2xdp::cli
