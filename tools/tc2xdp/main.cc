// tc2xdp: compile TC flower rules into one XDP program.
#include <iostream>
#include <map>
#include <string>

#include "commands.h"

namespace {

using Handler = int (*)(const tc2xdp::cli::Args&);

struct Command {
  Handler handler;
  const char* synopsis;
};

const std::map<std::string, Command>& command_table() {
  static const std::map<std::string, Command> table = {
      {"check", {tc2xdp::cli::run_check, "check FILE...        parse and validate rule files"}},
      {"fmt", {tc2xdp::cli::run_fmt, "fmt FILE             print rules in canonical tc syntax"}},
  };
  return table;
}

int usage(std::ostream& out, int status) {
  out << "usage: tc2xdp COMMAND [ARGS]\n\ncommands:\n";
  for (const auto& [name, cmd] : command_table()) out << "  " << cmd.synopsis << "\n";
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(std::cerr, 2);
  const std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") return usage(std::cout, 0);
  auto it = command_table().find(name);
  if (it == command_table().end()) {
    std::cerr << "tc2xdp: unknown command '" << name << "'\n";
    return usage(std::cerr, 2);
  }
  return it->second.handler(tc2xdp::cli::Args(argv + 2, argv + argc));
}
