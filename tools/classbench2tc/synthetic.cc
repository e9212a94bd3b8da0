#include "synthetic.h"

#include <random>
#include <tuple>
#include <unordered_set>

namespace classbench {

namespace {

// Uniform in [0, n): rng() % n; the bias is irrelevant here and the result is portable.
uint64_t pick(std::mt19937_64& rng, uint64_t n) {
  return rng() % n;
}

// `percent` chances out of 100.
bool chance(std::mt19937_64& rng, unsigned percent) {
  return pick(rng, 100) < percent;
}

// Prefix lengths weighted like ClassBench's ACL and firewall seeds: mostly hosts and /24-/29s, few
// short prefixes. Wide rules must stay rare, or an early one catches the packets aimed at the later
// ones and the set behaves like a much smaller one.
int prefix_length(std::mt19937_64& rng) {
  const unsigned r = pick(rng, 1000);
  if (r < 450) return 32;
  if (r < 800) return 24 + static_cast<int>(pick(rng, 8));
  if (r < 990) return 16 + static_cast<int>(pick(rng, 8));
  if (r < 999) return 8 + static_cast<int>(pick(rng, 8));
  return 0;
}

// An address inside one of the pool's /16 blocks, so that prefixes nest and overlap.
Prefix prefix_in(const std::vector<uint32_t>& blocks, std::mt19937_64& rng) {
  Prefix p;
  p.len = prefix_length(rng);
  p.addr = blocks[pick(rng, blocks.size())] | static_cast<uint32_t>(pick(rng, 65536));
  if (p.len < 32) p.addr &= p.len == 0 ? 0 : 0xffffffffu << (32 - p.len);
  return p;
}

PortSpan source_ports(std::mt19937_64& rng) {
  const unsigned r = pick(rng, 100);
  if (r < 80) return {};
  if (r < 90) return {1024, 65535};
  const uint16_t port = static_cast<uint16_t>(pick(rng, 65536));
  return {port, port};
}

PortSpan destination_ports(std::mt19937_64& rng) {
  static constexpr uint16_t kWellKnown[] = {20,   21,   22,   23,   25,   53,   80,   110,
                                            123,  143,  161,  443,  445,  993,  1433, 1521,
                                            3306, 3389, 5060, 5432, 6379, 8080, 8443, 9000};
  const unsigned r = pick(rng, 100);
  if (r < 15) return {};
  if (r < 25) return {1024, 65535};
  if (r < 30) return {0, 1023};
  if (r < 45) {
    const uint16_t lo = static_cast<uint16_t>(pick(rng, 65536));
    const uint16_t hi = static_cast<uint16_t>(lo + pick(rng, 65536 - lo));
    return {lo, hi};
  }
  const uint16_t port = chance(rng, 60) ? kWellKnown[pick(rng, std::size(kWellKnown))]
                                        : static_cast<uint16_t>(pick(rng, 65536));
  return {port, port};
}

struct FilterHash {
  size_t operator()(const Filter& f) const {
    size_t h = f.src.addr * 0x9e3779b97f4a7c15ull ^ f.dst.addr;
    h = h * 31 + (f.src.len << 8 | f.dst.len);
    h = h * 31 +
        (uint64_t{f.sport.lo} << 48 | uint64_t{f.sport.hi} << 32 | f.dport.lo << 16 | f.dport.hi);
    return h * 31 + (f.proto_wildcard ? 256 : f.proto);
  }
};

struct FilterEq {
  bool operator()(const Filter& a, const Filter& b) const {
    auto key = [](const Filter& f) {
      return std::tuple(f.src.addr, f.src.len, f.dst.addr, f.dst.len, f.sport.lo, f.sport.hi,
                        f.dport.lo, f.dport.hi, f.proto_wildcard, f.proto_wildcard ? 0 : f.proto);
    };
    return key(a) == key(b);
  }
};

}  // namespace

std::vector<Filter> synthetic_filters(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Blocks of /16s: a few hundred "sites" per thousand rules, at least 64.
  auto blocks = [&rng](size_t n) {
    std::vector<uint32_t> out(n);
    for (auto& b : out)
      b = static_cast<uint32_t>(1 + pick(rng, 223)) << 24 | static_cast<uint32_t>(pick(rng, 256))
                                                                << 16;
    return out;
  };
  const size_t pool = std::max<size_t>(64, count / 4);
  const auto sources = blocks(pool), destinations = blocks(pool);

  std::vector<Filter> filters;
  filters.reserve(count);
  std::unordered_set<Filter, FilterHash, FilterEq> seen;
  while (filters.size() < count) {
    Filter f;
    f.src = prefix_in(sources, rng);
    f.dst = prefix_in(destinations, rng);
    const unsigned r = pick(rng, 100);
    f.proto_wildcard = r >= 95;
    f.proto = r < 60 ? 6 : r < 85 ? 17 : r < 90 ? 1 : r < 95 ? (chance(rng, 50) ? 47 : 50) : 0;
    if (!f.proto_wildcard && (f.proto == 6 || f.proto == 17)) {
      f.sport = source_ports(rng);
      f.dport = destination_ports(rng);
    }
    if (seen.insert(f).second) filters.push_back(f);
  }
  return filters;
}

}  // namespace classbench
