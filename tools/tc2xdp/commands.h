// The tc2xdp subcommands. Each takes the words after its name and returns the exit status.
#pragma once

#include <string>
#include <vector>

namespace tc2xdp::cli {

using Args = std::vector<std::string>;

int run_check(const Args& args);
int run_fmt(const Args& args);

}  // namespace tc2xdp::cli
