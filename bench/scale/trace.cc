#include "scale/trace.h"

#include <random>

namespace bench {

namespace {

bool has_ports(uint8_t proto) {
  return proto == 6 || proto == 17 || proto == 132;
}

}  // namespace

std::vector<TracePacket> make_trace(const std::vector<classbench::Filter>& filters, size_t count,
                                    uint64_t seed, double miss_share) {
  std::mt19937_64 rng(seed);
  std::vector<TracePacket> trace;
  trace.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    classbench::Packet p;
    if (filters.empty() || static_cast<double>(rng() % 1000000) < miss_share * 1e6) {
      const uint8_t protos[] = {6, 17, 1, 47};
      p = {static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), protos[rng() % 4],
           static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())};
    } else {
      const auto& f = filters[rng() % filters.size()];
      p.src = random_in_prefix(f.src, rng);
      p.dst = random_in_prefix(f.dst, rng);
      p.proto = f.proto_wildcard ? 6 : f.proto;
      p.sport = random_in_span(f.sport, rng);
      p.dport = random_in_span(f.dport, rng);
    }
    if (!has_ports(p.proto)) p.sport = p.dport = 0;
    TracePacket t{p, ipv4_frame(p.src, p.dst, p.proto, p.sport, p.dport), 0};
    t.expected = classbench::first_match(filters, p);
    trace.push_back(std::move(t));
  }
  return trace;
}

std::vector<uint64_t> expected_histogram(const std::vector<TracePacket>& trace, size_t filters) {
  std::vector<uint64_t> counts(filters + 1, 0);
  for (const auto& t : trace) ++counts[t.expected < 0 ? filters : t.expected];
  return counts;
}

}  // namespace bench
