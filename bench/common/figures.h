// Small pieces every benchmark's main needs: a comma-separated list of sizes, and percentiles.
#pragma once

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

// "100,1000,10000" -> {100, 1000, 10000}.
inline std::vector<size_t> parse_sizes(const std::string& list) {
  std::vector<size_t> sizes;
  std::stringstream in(list);
  for (std::string n; std::getline(in, n, ',');) sizes.push_back(std::stoul(n));
  return sizes;
}

// The p-quantile (0..1) of `v`, nearest rank; 0 for no samples.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace bench
