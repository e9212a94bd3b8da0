// The catalogue of masked match fields: what cls_flower knows (TCA_FLOWER_KEY_* in pkt_cls.h).
//
// Every field value and mask is held in network byte order, left-aligned in a 16-byte buffer and
// `width` bytes wide. Fields narrower than their bytes (vlan_id: 12 bits) carry a `valid_mask` so a
// value outside it is an error, not a silent truncation. Port ranges, MPLS label stacks and indev
// are not in this catalogue: they have structured forms in Match.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tc2xdp::ir {

enum class Field : uint8_t {
  kDstMac,
  kSrcMac,
  kVlanId,       // 12 bits, in 2 bytes
  kVlanPrio,     // 3 bits, in 1 byte
  kVlanEthType,  // ethertype after the outer tag
  kCvlanId,
  kCvlanPrio,
  kCvlanEthType,  // ethertype after the inner tag
  kIpProto,
  kIpTos,
  kIpTtl,  // IPv4 TTL or IPv6 hop limit
  kIpv4Src,
  kIpv4Dst,
  kIpv6Src,
  kIpv6Dst,
  kSrcPort,  // exact or masked; ranges live in Match::src_port_range
  kDstPort,
  kTcpFlags,  // 12 bits, in 2 bytes
  kIcmpType,  // ICMP or ICMPv6, per the rule's ip_proto
  kIcmpCode,
  kArpSip,
  kArpTip,
  kArpOp,  // 1 byte, as cls_flower keys it
  kArpSha,
  kArpTha,
  kIpFlags,  // bit 0: is fragment, bit 1: first fragment (kIpFlag* below)
  kEncKeyId,
  kEncIpv4Src,
  kEncIpv4Dst,
  kEncIpv6Src,
  kEncIpv6Dst,
  kEncDstPort,
  kEncTos,
  kEncTtl,
  kCtState,  // TCA_FLOWER_KEY_CT_FLAGS_* bits
  kCtZone,
  kCtMark,
  kCount
};

inline constexpr size_t kFieldCount = static_cast<size_t>(Field::kCount);
inline constexpr size_t kMaxFieldWidth = 16;

// ip_flags bits as the kernel's flow dissector reports them.
inline constexpr uint8_t kIpFlagIsFragment = 0x01;  // FLOW_DIS_IS_FRAGMENT
inline constexpr uint8_t kIpFlagFirstFrag = 0x02;   // FLOW_DIS_FIRST_FRAG

// ct_state bits, TCA_FLOWER_KEY_CT_FLAGS_* values from pkt_cls.h.
inline constexpr uint16_t kCtNew = 1 << 0;
inline constexpr uint16_t kCtEstablished = 1 << 1;
inline constexpr uint16_t kCtRelated = 1 << 2;
inline constexpr uint16_t kCtTracked = 1 << 3;
inline constexpr uint16_t kCtInvalid = 1 << 4;
inline constexpr uint16_t kCtReply = 1 << 5;

// The header a field is read from; the planner parses only the layers some rule needs.
enum class Layer : uint8_t {
  kEth,
  kVlan,
  kCvlan,
  kIpv4,
  kIpv6,
  kIp,
  kL4,
  kIcmp,
  kArp,
  kTunnel,
  kConntrack
};

struct FieldInfo {
  Field field;
  std::string_view name;  // the tc flower keyword
  uint8_t width;          // bytes
  Layer layer;
  uint64_t valid_mask;  // host-order mask of the meaningful bits, for fields <= 8 bytes
};

const FieldInfo& field_info(Field f);
std::optional<Field> field_by_name(std::string_view tc_keyword);

using Bytes16 = std::array<uint8_t, kMaxFieldWidth>;

// A field value under a mask; bytes past the field's width are zero.
struct MaskedValue {
  Bytes16 value{};
  Bytes16 mask{};
  bool operator==(const MaskedValue&) const = default;

  // Host-order views for fields of at most 8 bytes.
  static MaskedValue from_u64(uint8_t width, uint64_t value, uint64_t mask);
  uint64_t value_u64(uint8_t width) const;
  uint64_t mask_u64(uint8_t width) const;
  // Value &= mask, so equal matches compare equal.
  void canonicalize();
  bool mask_is_zero() const;
};

}  // namespace tc2xdp::ir
