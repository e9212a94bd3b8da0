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

// Parses one line; on failure returns nullopt and sets `error` to what was wrong.
std::optional<Filter> parse_line(std::string_view line, std::string& error);

enum class ActionPolicy { kDrop, kPass, kAlternate };

// `filter add dev DEV ingress pref PREF protocol ip flower ... action ACT`.
std::string to_tc(const Filter& filter, uint32_t pref, std::string_view dev, ActionPolicy policy);

}  // namespace classbench
