// ClassBench filter lines (as produced by db_generator) to tc flower commands.
//
// A line is `@SRC/LEN DST/LEN SPORT_LO : SPORT_HI DPORT_LO : DPORT_HI PROTO/MASK FLAGS/MASK`.
// Line N becomes pref N, so ClassBench's first-match order is tc's pref order. The flags field
// has no flower equivalent (ClassBench's 16-bit flags are not tcp_flags) and is dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace classbench {

struct Prefix {
  uint32_t addr = 0;  // host order
  int len = 0;
};

struct PortSpan {
  uint16_t lo = 0;
  uint16_t hi = 65535;
};

struct Filter {
  Prefix src, dst;
  PortSpan sport, dport;
  uint8_t proto = 0;
  bool proto_wildcard = true;
};

// A packet's 5-tuple (host order), and ClassBench's first-match semantics over it: the model the
// benchmarks check tc2xdp, nftables and OVS against.
struct Packet {
  uint32_t src = 0, dst = 0;
  uint8_t proto = 0;
  uint16_t sport = 0, dport = 0;
};

inline bool prefix_contains(const Prefix& p, uint32_t addr) {
  return p.len == 0 || ((p.addr ^ addr) >> (32 - p.len)) == 0;
}

inline bool matches(const Filter& f, const Packet& p) {
  return prefix_contains(f.src, p.src) && prefix_contains(f.dst, p.dst) &&
         (f.proto_wildcard || f.proto == p.proto) && p.sport >= f.sport.lo &&
         p.sport <= f.sport.hi && p.dport >= f.dport.lo && p.dport <= f.dport.hi;
}

// The index of the first filter matching `p`, or -1.
inline long first_match(const std::vector<Filter>& filters, const Packet& p) {
  for (size_t i = 0; i < filters.size(); ++i)
    if (matches(filters[i], p)) return static_cast<long>(i);
  return -1;
}

// Parses one line; on failure returns nullopt and sets `error` to what was wrong.
std::optional<Filter> parse_line(std::string_view line, std::string& error);

enum class ActionPolicy { kDrop, kPass, kAlternate };

// Whether the rule at `pref` (1-based line number) drops under `policy`; alternate drops odd prefs.
inline bool drops(ActionPolicy policy, uint32_t pref) {
  return policy == ActionPolicy::kDrop || (policy == ActionPolicy::kAlternate && pref % 2);
}

// The ClassBench line for a filter (flags written as 0x0000/0x0000); parse_line reads it back.
std::string to_classbench_line(const Filter& filter);

// `a.b.c.d/len` with the host bits cleared.
std::string format_prefix(const Prefix& prefix);

// `filter add dev DEV ingress [chain C] pref PREF protocol ip flower ... action ACT`. `pref` is the
// rule's 1-based line number; the action follows from it and `policy`, the tc pref from `tc_pref`
// (0: the same as `pref`).
std::string to_tc(const Filter& filter, uint32_t pref, std::string_view dev, ActionPolicy policy,
                  uint32_t chain = 0, uint32_t tc_pref = 0);

// tc prefs are 16 bits, so a set larger than `rules_per_chain` continues in the next chain: each
// full chain ends in a catch-all `goto chain N+1` at pref 65535. First match stays line order.
inline constexpr uint32_t kRulesPerChain = 65000;
// Where line `index` (0-based) lands.
inline uint32_t tc_chain_of(size_t index) {
  return index / kRulesPerChain;
}
inline uint32_t tc_pref_of(size_t index) {
  return index % kRulesPerChain + 1;
}

// The whole set, one command a line (with the chain continuations).
std::string to_tc_batch(const std::vector<Filter>& filters, std::string_view dev,
                        ActionPolicy policy);

}  // namespace classbench
