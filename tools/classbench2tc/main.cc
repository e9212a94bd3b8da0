// classbench2tc: converts a ClassBench filter set (or a synthetic one) into tc flower commands, an
// nftables script or OpenFlow flows.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "classbench.h"
#include "nft.h"
#include "openflow.h"
#include "synthetic.h"

namespace {

int usage() {
  std::cerr
      << "usage: classbench2tc [--dev DEV] [--action drop|pass|alternate] [--limit N]\n"
         "                     [--format tc|nft|openflow|classbench] [--table NAME]\n"
         "                     (FILE | --synthetic N [--seed S])\n"
         "  tc:         line N of FILE becomes 'filter add dev DEV ingress pref N protocol ip\n"
         "              flower ...' (the default); past 65000 lines the set continues in chain 1,\n"
         "              2, ... behind a catch-all 'goto chain'\n"
         "  nft:        an 'nft -f' script: netdev table NAME, ingress chain on DEV, rules in "
         "line\n"
         "              order with counters, then a miss counter\n"
         "  openflow:   an 'ovs-ofctl add-flows' file: line order as descending priorities\n"
         "  classbench: the filters as ClassBench lines (for --synthetic)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dev = "eth0", path, format = "tc", table = "classbench";
  auto policy = classbench::ActionPolicy::kDrop;
  long limit = -1;
  long synthetic = -1;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const bool takes_value = arg == "--dev" || arg == "--action" || arg == "--limit" ||
                             arg == "--format" || arg == "--table" || arg == "--synthetic" ||
                             arg == "--seed";
    if (takes_value && i + 1 >= argc) return usage();
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
    } else if (arg == "--format") {
      format = argv[++i];
      if (format != "tc" && format != "nft" && format != "openflow" && format != "classbench")
        return usage();
    } else if (arg == "--table") {
      table = argv[++i];
    } else if (arg == "--synthetic") {
      synthetic = std::stol(argv[++i]);
    } else if (arg == "--seed") {
      seed = std::stoull(argv[++i]);
    } else if (!arg.empty() && arg[0] == '-') {
      return usage();
    } else {
      path = arg;
    }
  }
  if (path.empty() == (synthetic < 0)) return usage();

  std::vector<classbench::Filter> filters;
  if (synthetic >= 0) {
    filters = classbench::synthetic_filters(synthetic, seed);
    path = "synthetic:" + std::to_string(synthetic) + ":seed" + std::to_string(seed);
  } else {
    std::ifstream in(path);
    if (!in) {
      std::cerr << path << ": cannot open: " << std::strerror(errno) << "\n";
      return 1;
    }
    std::string line, error;
    uint32_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto filter = classbench::parse_line(line, error);
      if (!filter) {
        std::cerr << path << ':' << line_no << ": error: " << error << "\n";
        return 1;
      }
      filters.push_back(*filter);
    }
  }
  if (limit >= 0 && filters.size() > static_cast<size_t>(limit)) filters.resize(limit);

  if (format == "nft") {
    std::cout << "# converted by classbench2tc from " << path << "\n"
              << classbench::to_nft(filters, {.table = table, .device = dev, .policy = policy});
  } else if (format == "openflow") {
    classbench::OpenFlowOptions options;
    options.policy = policy;
    std::cout << "# converted by classbench2tc from " << path << "\n"
              << classbench::to_openflow(filters, options);
  } else if (format == "classbench") {
    for (const auto& f : filters) std::cout << classbench::to_classbench_line(f) << "\n";
  } else {
    std::cout << "# converted by classbench2tc from " << path << "\n"
              << classbench::to_tc_batch(filters, dev, policy);
  }
  return 0;
}
