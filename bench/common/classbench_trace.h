// Packet traces for ClassBench rule sets: frames aimed at rules spread over the whole set (random
// addresses inside the rule's prefixes, ports inside its ranges), plus random misses.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "classbench.h"

namespace bench {

using Frame = std::vector<uint8_t>;

inline void put16(Frame& f, size_t at, uint16_t v) {
  f[at] = v >> 8;
  f[at + 1] = v & 0xff;
}

inline void put32(Frame& f, size_t at, uint32_t v) {
  put16(f, at, v >> 16);
  put16(f, at + 2, v & 0xffff);
}

// Ethernet + IPv4 (checksummed) + TCP/UDP/ICMP header, no payload beyond 64 bytes in all.
inline Frame ipv4_frame(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport) {
  const size_t l4 = proto == 6 ? 20 : 8;
  Frame f(std::max<size_t>(14 + 20 + l4, 64), 0);
  const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  std::copy(macs, macs + 12, f.begin());
  put16(f, 12, 0x0800);
  f[14] = 0x45;
  put16(f, 16, static_cast<uint16_t>(f.size() - 14));
  f[22] = 64;
  f[23] = proto;
  put32(f, 26, src);
  put32(f, 30, dst);
  uint32_t sum = 0;
  for (size_t i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(f, 24, static_cast<uint16_t>(~sum));
  if (proto == 6 || proto == 17 || proto == 132) {
    put16(f, 34, sport);
    put16(f, 36, dport);
    if (proto == 6) f[46] = 0x50;  // data offset 5
  } else if (proto == 1) {
    f[34] = 8;  // echo request
  }
  return f;
}

inline uint32_t random_in_prefix(const classbench::Prefix& p, std::mt19937_64& rng) {
  const uint32_t host_mask = p.len == 32 ? 0 : (0xffffffffu >> p.len);
  return (p.addr & ~host_mask) | (static_cast<uint32_t>(rng()) & host_mask);
}

inline uint16_t random_in_span(const classbench::PortSpan& s, std::mt19937_64& rng) {
  return static_cast<uint16_t>(s.lo + rng() % (uint32_t{s.hi} - s.lo + 1));
}

// `count` frames: a `miss_share` of them fully random, the rest aimed at a uniformly chosen rule.
inline std::vector<Frame> classbench_trace(const std::vector<classbench::Filter>& filters,
                                           size_t count, uint64_t seed, double miss_share = 0.1) {
  std::mt19937_64 rng(seed);
  std::vector<Frame> frames;
  frames.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (filters.empty() || std::uniform_real_distribution<>(0, 1)(rng) < miss_share) {
      const uint8_t protos[] = {6, 17, 1, 47};
      frames.push_back(ipv4_frame(static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                  protos[rng() % 4], rng() & 0xffff, rng() & 0xffff));
      continue;
    }
    const auto& f = filters[rng() % filters.size()];
    const uint8_t proto = f.proto_wildcard ? 6 : f.proto;
    frames.push_back(ipv4_frame(random_in_prefix(f.src, rng), random_in_prefix(f.dst, rng), proto,
                                random_in_span(f.sport, rng), random_in_span(f.dport, rng)));
  }
  return frames;
}

}  // namespace bench
