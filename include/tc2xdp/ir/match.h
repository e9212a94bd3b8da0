// What one flower filter matches.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/ir/field.h"

namespace tc2xdp::ir {

struct PortRange {
  uint16_t min = 0;
  uint16_t max = 0;
  bool operator==(const PortRange&) const = default;
};

// One MPLS label stack entry match; depth 1 is the top of the stack (as `mpls lse depth 1`).
inline constexpr int kMaxMplsDepth = 7;  // FLOW_DIS_MPLS_MAX
struct MplsLseMatch {
  uint8_t depth = 1;
  std::optional<uint32_t> label;  // 20 bits
  std::optional<uint8_t> tc;      // 3 bits
  std::optional<uint8_t> bos;     // 1 bit
  std::optional<uint8_t> ttl;     // 8 bits
  bool operator==(const MplsLseMatch&) const = default;
};

struct Match {
  std::array<std::optional<MaskedValue>, kFieldCount> fields{};
  std::optional<PortRange> src_port_range;
  std::optional<PortRange> dst_port_range;
  // Sorted by depth, one entry per depth.
  std::vector<MplsLseMatch> mpls;
  // True when written as `mpls lse depth ...` rather than mpls_label/mpls_tc/...; printing only.
  bool mpls_lse_syntax = false;
  // indev by name; the ifindex is resolved where the rule is compiled or interpreted.
  std::optional<std::string> indev;

  bool has(Field f) const { return fields[static_cast<size_t>(f)].has_value(); }
  const MaskedValue* get(Field f) const {
    auto& slot = fields[static_cast<size_t>(f)];
    return slot ? &*slot : nullptr;
  }
  void set(Field f, MaskedValue v) { fields[static_cast<size_t>(f)] = v; }
  void clear(Field f) { fields[static_cast<size_t>(f)].reset(); }

  bool operator==(const Match&) const = default;
};

}  // namespace tc2xdp::ir
