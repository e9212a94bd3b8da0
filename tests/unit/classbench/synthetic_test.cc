// The synthetic ClassBench-like generator: seeded, unique, parseable, and shaped like ClassBench.
#include "synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace classbench {
namespace {

TEST(Synthetic, SameSeedSameSetOtherSeedOtherSet) {
  const auto a = synthetic_filters(2000, 7), b = synthetic_filters(2000, 7),
             c = synthetic_filters(2000, 8);
  ASSERT_EQ(a.size(), 2000u);
  std::string ta, tb, tc;
  for (size_t i = 0; i < a.size(); ++i) {
    ta += to_classbench_line(a[i]);
    tb += to_classbench_line(b[i]);
    tc += to_classbench_line(c[i]);
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

TEST(Synthetic, FiltersAreUniqueAndParseBack) {
  const auto filters = synthetic_filters(20000, 1);
  std::set<std::string> lines;
  size_t tcp_udp = 0, exact_dport = 0, ranged = 0, wildcard_proto = 0, host_src = 0;
  for (const auto& f : filters) {
    const std::string line = to_classbench_line(f);
    std::string error;
    auto back = parse_line(line, error);
    ASSERT_TRUE(back) << line << ": " << error;
    EXPECT_EQ(to_classbench_line(*back), line);
    lines.insert(line);
    tcp_udp += !f.proto_wildcard && (f.proto == 6 || f.proto == 17);
    exact_dport += f.dport.lo == f.dport.hi;
    ranged += f.dport.lo != f.dport.hi && !(f.dport.lo == 0 && f.dport.hi == 65535);
    wildcard_proto += f.proto_wildcard;
    host_src += f.src.len == 32;
  }
  EXPECT_EQ(lines.size(), filters.size());
  // The mix the generator promises, loosely: mostly TCP/UDP, many exact ports, some ranges.
  EXPECT_GT(tcp_udp, filters.size() * 8 / 10);
  EXPECT_GT(exact_dport, filters.size() * 4 / 10);
  EXPECT_GT(ranged, filters.size() / 10);
  EXPECT_GT(wildcard_proto, 0u);
  EXPECT_GT(host_src, filters.size() / 4);
}

// Packets aimed at random rules are mostly decided by those rules or ones near them, not by a few
// wide rules at the top: the set has to behave like its size.
TEST(Synthetic, FirstMatchesSpreadOverTheWholeSet) {
  const size_t n = 5000;
  const auto filters = synthetic_filters(n, 3);
  std::mt19937_64 rng(5);
  std::vector<long> firsts;
  for (int i = 0; i < 400; ++i) {
    const Filter& f = filters[rng() % n];
    auto inside = [&rng](const Prefix& p) {
      const uint32_t host = p.len == 32 ? 0 : 0xffffffffu >> p.len;
      return (p.addr & ~host) | (static_cast<uint32_t>(rng()) & host);
    };
    Packet p{inside(f.src), inside(f.dst), static_cast<uint8_t>(f.proto_wildcard ? 6 : f.proto),
             f.sport.lo, f.dport.hi};
    const long first = first_match(filters, p);
    ASSERT_GE(first, 0);
    firsts.push_back(first);
  }
  std::sort(firsts.begin(), firsts.end());
  EXPECT_GT(firsts[firsts.size() / 2], static_cast<long>(n * 3 / 10));
  EXPECT_GT(firsts[firsts.size() * 9 / 10], static_cast<long>(n * 7 / 10));
}

}  // namespace
}  // namespace classbench
