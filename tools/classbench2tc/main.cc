// classbench2tc: converts a ClassBench filter set into a tc flower batch file.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "classbench.h"

namespace {

int usage() {
  std::cerr
      << "usage: classbench2tc [--dev DEV] [--action drop|pass|alternate] [--limit N] FILE\n"
         "  Line N of FILE becomes 'filter add dev DEV ingress pref N protocol ip flower ...'.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dev = "eth0", path;
  auto policy = classbench::ActionPolicy::kDrop;
  long limit = -1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--dev" || arg == "--action" || arg == "--limit") && i + 1 >= argc) return usage();
    if (arg == "--dev") {
      dev = argv[++i];
    } else if (arg == "--action") {
      std::string a = argv[++i];
      if (a == "drop")
        policy = classbench::ActionPolicy::kDrop;
      else if (a == "pass")
        policy = classbench::ActionPolicy::kPass;
      else if (a == "alternate")
        policy = classbench::ActionPolicy::kAlternate;
      else
        return usage();
    } else if (arg == "--limit") {
      limit = std::stol(argv[++i]);
    } else if (!arg.empty() && arg[0] == '-') {
      return usage();
    } else {
      path = arg;
    }
  }
  if (path.empty()) return usage();
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot open: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cout << "# converted by classbench2tc from " << path << "\n";
  std::string line, error;
  uint32_t line_no = 0, pref = 0;
  while (std::getline(in, line) && (limit < 0 || pref < limit)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto filter = classbench::parse_line(line, error);
    if (!filter) {
      std::cerr << path << ':' << line_no << ": error: " << error << "\n";
      return 1;
    }
    std::cout << classbench::to_tc(*filter, ++pref, dev, policy) << "\n";
  }
  return 0;
}
