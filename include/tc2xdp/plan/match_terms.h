// A rule's match as masked terms over the parsed key's components: the one description both
// lookup shapes lower from (inline compares and hash tables), so they cannot disagree.
//
// Encoding: a component's value is its network-order bytes read as a little-endian integer (what
// a raw load from the packet gives on BPF), `bits` wide. Masks and values use the same encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/ir/rule.h"

namespace tc2xdp::plan {

// Bits of the parsed key's `present` component. Absent fields read as zero, as in the kernel's
// zeroed skb key; only what the kernel guards by a flag needs a bit: the Ethernet header (shorter
// frames are never classified), the IPv4/IPv6 addresses (control.addr_type) and each MPLS LSE.
inline constexpr uint64_t kPresentEthernet = uint64_t{1} << 0;
inline constexpr uint64_t kPresentIpv4Addrs = uint64_t{1} << 1;
inline constexpr uint64_t kPresentIpv6Addrs = uint64_t{1} << 2;
inline constexpr uint64_t present_mpls_bit(int depth) {
  return uint64_t{1} << (8 + depth - 1);
}
static_assert(ir::kMaxMplsDepth <= 8);

// One value the parser hands to the rules.
struct Component {
  enum class Kind : uint8_t {
    kPresent,        // kPresent* bits
    kOuterProto,     // the frame's ethertype, or the outer TPID if tagged (cls_api's check)
    kNProto,         // the ethertype the dissector ended on, behind tags
    kVlanTpid,       // the outer tag's TPID, 0 if none
    kCvlanTpid,      // the inner tag's TPID, 0 if none
    kField,          // catalogue field `index`, 8-byte word `word`
    kMpls,           // raw label stack entry at depth index + 1
    kIngressIfindex  // host order
  };
  Kind kind = Kind::kPresent;
  uint8_t index = 0;
  uint8_t word = 0;

  unsigned bits() const;  // significant width of the value
  std::string name() const;
  auto operator<=>(const Component&) const = default;
};

struct Term {
  Component component;
  uint64_t mask = 0;   // non-zero, within bits()
  uint64_t value = 0;  // already masked
  bool operator==(const Term&) const = default;
};

struct MatchTerms {
  std::vector<Term> terms;                          // at most one per component, in component order
  std::optional<ir::PortRange> src_port, dst_port;  // host order, inclusive
  bool never = false;  // keys something the program cannot see: matches nothing
};

// The terms the program evaluates for `planned` with `match` (plan::evaluated_match): cls_api's
// protocol check, flower's n_proto and VLAN TPIDs, every masked field, MPLS, indev, and the
// presence bits of what it keys on.
struct PlannedRule;
MatchTerms match_terms(const ir::Match& match, const PlannedRule& planned);

// The low `bits` bits set (all 64 from 64 on).
inline uint64_t ones(unsigned bits) {
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

// The value as a host-order ethertype etc. reads, given its network-order encoding n bytes wide.
inline uint64_t le_of_host(uint64_t host, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= ((host >> (8 * (n - 1 - i))) & 0xff) << (8 * i);
  return v;
}

}  // namespace tc2xdp::plan
