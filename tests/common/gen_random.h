// A seeded random source for the test generators. Only std::mt19937_64's raw output is used, never
// std::*_distribution (whose results differ between standard libraries), so a seed reproduces the
// same rules and frames on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace tc2xdp::testing::gen {

class Rand {
 public:
  explicit Rand(uint64_t seed) : engine_(seed) {}

  uint64_t next() { return engine_(); }
  // Uniform in [0, n); n == 0 gives 0. Rejection sampling keeps it unbiased.
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = engine_();
    while (v >= limit);
    return v % n;
  }
  // Uniform in [lo, hi], inclusive.
  uint64_t range(uint64_t lo, uint64_t hi) {
    return hi <= lo ? lo : lo + (hi - lo == UINT64_MAX ? engine_() : below(hi - lo + 1));
  }
  // True with probability p.
  bool chance(double p) { return static_cast<double>(engine_() >> 11) * 0x1.0p-53 < p; }
  uint8_t byte() { return static_cast<uint8_t>(engine_()); }

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }
  template <typename T>
  T pick(std::initializer_list<T> items) {
    return items.begin()[below(items.size())];
  }
  // An index chosen with the given integer weights.
  size_t weighted(std::initializer_list<unsigned> weights) {
    uint64_t total = 0;
    for (unsigned w : weights) total += w;
    uint64_t x = below(total);
    size_t i = 0;
    for (unsigned w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return 0;
  }

  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace tc2xdp::testing::gen
