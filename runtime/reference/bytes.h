// Byte-level helpers shared by the interpreter's parts: bounds checks, big-endian access, and the
// ethertypes and protocol numbers the dissector and the actions use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tc2xdp::reference::detail {

inline constexpr uint16_t kEthPIp = 0x0800;
inline constexpr uint16_t kEthPArp = 0x0806;
inline constexpr uint16_t kEthPRarp = 0x8035;
inline constexpr uint16_t kEthP8021Q = 0x8100;
inline constexpr uint16_t kEthP8021AD = 0x88a8;
inline constexpr uint16_t kEthPIpv6 = 0x86dd;
inline constexpr uint16_t kEthPMplsUc = 0x8847;
inline constexpr uint16_t kEthPMplsMc = 0x8848;
inline constexpr uint16_t kEthPPppSes = 0x8864;
inline constexpr uint16_t kEthPHsr = 0x892f;
inline constexpr uint16_t kEthPPrp = 0x88fb;
inline constexpr uint16_t kEthP8023 = 0x0001;  // eth_type_trans: raw 802.3 (IPX)
inline constexpr uint16_t kEthP8022 = 0x0004;  // eth_type_trans: 802.2 LLC

inline constexpr uint8_t kIpprotoHop = 0;
inline constexpr uint8_t kIpprotoIcmp = 1;
inline constexpr uint8_t kIpprotoIgmp = 2;
inline constexpr uint8_t kIpprotoIpip = 4;
inline constexpr uint8_t kIpprotoTcp = 6;
inline constexpr uint8_t kIpprotoUdp = 17;
inline constexpr uint8_t kIpprotoDccp = 33;
inline constexpr uint8_t kIpprotoIpv6 = 41;
inline constexpr uint8_t kIpprotoRouting = 43;
inline constexpr uint8_t kIpprotoFragment = 44;
inline constexpr uint8_t kIpprotoGre = 47;
inline constexpr uint8_t kIpprotoEsp = 50;
inline constexpr uint8_t kIpprotoAh = 51;
inline constexpr uint8_t kIpprotoIcmpv6 = 58;
inline constexpr uint8_t kIpprotoNone = 59;
inline constexpr uint8_t kIpprotoDest = 60;
inline constexpr uint8_t kIpprotoSctp = 132;
inline constexpr uint8_t kIpprotoUdplite = 136;
inline constexpr uint8_t kIpprotoMpls = 137;

inline constexpr size_t kEthHlen = 14;
inline constexpr size_t kVlanHlen = 4;

inline bool fits(std::span<const uint8_t> f, size_t off, size_t len) {
  return off <= f.size() && len <= f.size() - off;
}
inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline bool is_vlan_tpid(uint16_t t) {
  return t == kEthP8021Q || t == kEthP8021AD;
}

// skb->protocol as eth_type_trans sets it for a frame of at least kEthHlen bytes: the ethertype,
// or for an 802.3 length field ETH_P_802_3 (raw IPX, payload starting 0xffff) or ETH_P_802_2.
inline uint16_t link_protocol(std::span<const uint8_t> f) {
  const uint16_t type = be16(f.data() + 12);
  if (type >= 0x0600) return type;
  if (fits(f, kEthHlen, 2) && be16(f.data() + kEthHlen) == 0xffff) return kEthP8023;
  return kEthP8022;
}

// At ingress the stack moves a frame's outer VLAN tag into skb metadata (skb_vlan_untag) before tc
// runs, so header offsets that tc actions use (pedit, csum) are measured in a frame without it.
// This maps such "skb view" offsets to offsets in the frame as XDP sees it.
struct SkbView {
  bool outer_tag = false;
  size_t frame_offset(size_t skb_offset) const {
    return outer_tag && skb_offset >= 12 ? skb_offset + kVlanHlen : skb_offset;
  }
  size_t length(size_t frame_length) const {
    return outer_tag ? frame_length - kVlanHlen : frame_length;
  }
  static SkbView of(std::span<const uint8_t> f) {
    return {fits(f, 0, kEthHlen + kVlanHlen) && is_vlan_tpid(be16(f.data() + 12))};
  }
};

}  // namespace tc2xdp::reference::detail
