// A frame as a set of header values (FrameModel) and the bytes it serialises to, for the packet
// generator. Every layer's values are always present; the ethertypes decide which ones the bytes
// carry, so a rule's constraints can be laid over any model and a single field changed afterwards.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tc2xdp/ir/field.h"

namespace tc2xdp::testing::gen {

struct VlanTag {
  uint16_t tpid = 0x8100;  // the type field in front of the TCI
  uint8_t prio = 0;
  uint8_t dei = 0;
  uint16_t vid = 0;
};

struct MplsEntry {
  uint32_t label = 0;
  uint8_t tc = 0, bos = 0, ttl = 64;
};

struct Ipv6Ext {
  uint8_t type = 60;      // 0 hop-by-hop, 43 routing, 60 destination options
  uint8_t len_units = 0;  // hdr ext len: (n + 1) * 8 bytes
};

struct FrameModel {
  uint32_t ifindex = 1;
  std::array<uint8_t, 6> dst{}, src{};
  std::vector<VlanTag> tags;    // outermost first
  uint16_t ethertype = 0x0800;  // after the tags
  std::vector<MplsEntry> mpls;  // carried when ethertype is 0x8847/0x8848
  bool mpls_inner_ipv4 = false;

  // IPv4 or IPv6 per ethertype; IPv4 addresses in the first 4 bytes.
  std::array<uint8_t, 16> ip_src{}, ip_dst{};
  uint8_t tos = 0, ttl = 64, proto = 6;
  uint8_t frag = 0;             // ir::kIpFlag* bits: 0 whole, frag|first, or frag alone (non-first)
  uint16_t frag_offset = 185;   // 8-byte units, for non-first fragments (0 is taken as 1)
  bool more_fragments = false;  // for non-first fragments; first fragments always have MF
  bool dont_fragment = false;
  uint8_t ipv4_option_words = 0;  // ihl - 5
  uint16_t ip_id = 0x1234;
  uint32_t flow_label = 0;
  std::vector<Ipv6Ext> ipv6_ext;  // before L4; a fragment header is appended when `frag`

  uint16_t sport = 1234, dport = 80;
  uint16_t tcp_flags = 0x002;  // 12 bits: the 4 reserved/NS bits and the 8 flags
  uint8_t icmp_type = 8, icmp_code = 0;

  uint16_t arp_hrd = 1, arp_pro = 0x0800, arp_op = 1;
  uint8_t arp_hln = 6, arp_pln = 4;
  std::array<uint8_t, 6> arp_sha{}, arp_tha{};
  std::array<uint8_t, 4> arp_sip{}, arp_tip{};

  std::vector<uint8_t> payload;  // after L4 (or after L3/MPLS for other types)
  size_t pad_to = 0;             // zero padding up to this length (60: Ethernet minimum)

  bool is_fragment() const { return frag & ir::kIpFlagIsFragment; }
  bool is_first_fragment() const { return is_fragment() && (frag & ir::kIpFlagFirstFrag); }
  bool non_first_fragment() const { return is_fragment() && !(frag & ir::kIpFlagFirstFrag); }
};

struct BuiltFrame {
  std::vector<uint8_t> bytes;
  std::vector<size_t> boundaries;  // offsets where a header starts or ends, for truncation
  std::optional<size_t> ipv4_at, ipv6_at;
};

namespace detail {

inline void put8(std::vector<uint8_t>& b, uint8_t v) {
  b.push_back(v);
}
inline void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void set16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

inline uint16_t ipv4_checksum(const uint8_t* h, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The L4 header (when this is not a non-first fragment) and the payload.
inline std::vector<uint8_t> l4_bytes(const FrameModel& m) {
  std::vector<uint8_t> b;
  if (!m.non_first_fragment()) {
    switch (m.proto) {
      case 6:  // TCP, no options
        put16(b, m.sport), put16(b, m.dport), put32(b, 0x01020304), put32(b, 0);
        put8(b, static_cast<uint8_t>(0x50 | ((m.tcp_flags >> 8) & 0x0f)));
        put8(b, static_cast<uint8_t>(m.tcp_flags)), put16(b, 0xffff), put16(b, 0), put16(b, 0);
        break;
      case 17:  // UDP
        put16(b, m.sport), put16(b, m.dport);
        put16(b, static_cast<uint16_t>(8 + m.payload.size())), put16(b, 0);
        break;
      case 132:  // SCTP common header
        put16(b, m.sport), put16(b, m.dport), put32(b, 0xcafe), put32(b, 0);
        break;
      case 1:
      case 58:  // ICMP / ICMPv6
        put8(b, m.icmp_type), put8(b, m.icmp_code), put16(b, 0), put32(b, 0x00010001);
        break;
      default: break;
    }
  }
  b.insert(b.end(), m.payload.begin(), m.payload.end());
  return b;
}

inline void put_ipv4(BuiltFrame& f, const FrameModel& m) {
  auto& b = f.bytes;
  const size_t at = b.size();
  f.ipv4_at = at;
  const size_t hlen = 20 + 4 * size_t{m.ipv4_option_words};
  const std::vector<uint8_t> l4 = l4_bytes(m);
  uint16_t frag = m.dont_fragment ? 0x4000 : 0;
  if (m.is_first_fragment()) frag = 0x2000;
  if (m.non_first_fragment())
    frag = static_cast<uint16_t>(std::max<uint16_t>(m.frag_offset & 0x1fff, 1) |
                                 (m.more_fragments ? 0x2000 : 0));
  put8(b, static_cast<uint8_t>(0x40 | (hlen / 4))), put8(b, m.tos);
  put16(b, static_cast<uint16_t>(hlen + l4.size())), put16(b, m.ip_id), put16(b, frag);
  put8(b, m.ttl), put8(b, m.proto), put16(b, 0);
  b.insert(b.end(), m.ip_src.begin(), m.ip_src.begin() + 4);
  b.insert(b.end(), m.ip_dst.begin(), m.ip_dst.begin() + 4);
  for (size_t i = 20; i < hlen; ++i) put8(b, i + 1 == hlen ? 0 : 1);  // NOPs, then end of list
  set16(b, at + 10, ipv4_checksum(b.data() + at, hlen));
  f.boundaries.push_back(b.size());
  b.insert(b.end(), l4.begin(), l4.end());
}

inline void put_ipv6(BuiltFrame& f, const FrameModel& m) {
  auto& b = f.bytes;
  f.ipv6_at = b.size();
  std::vector<Ipv6Ext> exts = m.ipv6_ext;
  if (m.is_fragment()) exts.push_back({44, 0});
  std::vector<uint8_t> ext_bytes;
  for (size_t i = 0; i < exts.size(); ++i) {
    const uint8_t next = i + 1 < exts.size() ? exts[i + 1].type : m.proto;
    if (exts[i].type == 44) {
      const uint16_t off =
          m.is_first_fragment()
              ? 1
              : static_cast<uint16_t>(std::max<uint16_t>(m.frag_offset & 0x1fff, 1) << 3 |
                                      (m.more_fragments ? 1 : 0));
      put8(ext_bytes, next), put8(ext_bytes, 0), put16(ext_bytes, off), put32(ext_bytes, 0xbeef);
      continue;
    }
    put8(ext_bytes, next), put8(ext_bytes, exts[i].len_units);
    const size_t body = 6 + 8 * size_t{exts[i].len_units};
    if (exts[i].type == 43) {  // routing type 0, no segments left
      for (size_t k = 0; k < body; ++k) put8(ext_bytes, 0);
    } else {  // one PadN option filling the header
      put8(ext_bytes, 1), put8(ext_bytes, static_cast<uint8_t>(body - 2));
      for (size_t k = 2; k < body; ++k) put8(ext_bytes, 0);
    }
  }
  const std::vector<uint8_t> l4 = l4_bytes(m);
  put32(b, 6u << 28 | uint32_t{m.tos} << 20 | (m.flow_label & 0xfffff));
  put16(b, static_cast<uint16_t>(ext_bytes.size() + l4.size()));
  put8(b, exts.empty() ? m.proto : exts.front().type), put8(b, m.ttl);
  b.insert(b.end(), m.ip_src.begin(), m.ip_src.end());
  b.insert(b.end(), m.ip_dst.begin(), m.ip_dst.end());
  f.boundaries.push_back(b.size());
  b.insert(b.end(), ext_bytes.begin(), ext_bytes.end());
  f.boundaries.push_back(b.size());
  b.insert(b.end(), l4.begin(), l4.end());
}

inline void put_arp(BuiltFrame& f, const FrameModel& m) {
  auto& b = f.bytes;
  put16(b, m.arp_hrd), put16(b, m.arp_pro), put8(b, m.arp_hln), put8(b, m.arp_pln);
  put16(b, m.arp_op);
  b.insert(b.end(), m.arp_sha.begin(), m.arp_sha.end());
  b.insert(b.end(), m.arp_sip.begin(), m.arp_sip.end());
  b.insert(b.end(), m.arp_tha.begin(), m.arp_tha.end());
  b.insert(b.end(), m.arp_tip.begin(), m.arp_tip.end());
  f.boundaries.push_back(b.size());
  b.insert(b.end(), m.payload.begin(), m.payload.end());
}

}  // namespace detail

inline BuiltFrame build_frame(const FrameModel& m) {
  using namespace detail;
  BuiltFrame f;
  auto& b = f.bytes;
  b.insert(b.end(), m.dst.begin(), m.dst.end());
  b.insert(b.end(), m.src.begin(), m.src.end());
  f.boundaries.push_back(b.size());
  for (const auto& tag : m.tags) {
    put16(b, tag.tpid);
    put16(b, static_cast<uint16_t>((tag.prio & 7) << 13 | (tag.dei & 1) << 12 | (tag.vid & 0xfff)));
    f.boundaries.push_back(b.size());
  }
  put16(b, m.ethertype);
  f.boundaries.push_back(b.size());
  switch (m.ethertype) {
    case 0x0800: put_ipv4(f, m); break;
    case 0x86dd: put_ipv6(f, m); break;
    case 0x0806:
    case 0x8035: put_arp(f, m); break;
    case 0x8847:
    case 0x8848:
      for (const auto& e : m.mpls) {
        put32(b, (e.label & 0xfffff) << 12 | uint32_t(e.tc & 7) << 9 | uint32_t(e.bos & 1) << 8 |
                     e.ttl);
        f.boundaries.push_back(b.size());
      }
      if (m.mpls_inner_ipv4) {
        put_ipv4(f, m);
        f.ipv4_at.reset();  // only the outer L3 header is a target for length corruption
      } else {
        b.insert(b.end(), m.payload.begin(), m.payload.end());
      }
      break;
    default: b.insert(b.end(), m.payload.begin(), m.payload.end());
  }
  f.boundaries.push_back(b.size());
  if (b.size() < m.pad_to) b.resize(m.pad_to, 0);
  return f;
}

// The bytes of one catalogue field as the frame carries them (network order, field width), and
// writing them back. Fields a frame cannot carry (tunnel, conntrack) read as zero and ignore
// writes. Writing an ethertype field reshapes the tag stack to match.
inline ir::Bytes16 read_field(const FrameModel& m, ir::Field f) {
  using F = ir::Field;
  ir::Bytes16 v{};
  auto u16 = [&](uint16_t x) {
    v[0] = static_cast<uint8_t>(x >> 8), v[1] = static_cast<uint8_t>(x);
  };
  auto copy = [&](const auto& a, size_t n) { std::copy_n(a.begin(), n, v.begin()); };
  const VlanTag none{};
  const VlanTag& t0 = m.tags.size() > 0 ? m.tags[0] : none;
  const VlanTag& t1 = m.tags.size() > 1 ? m.tags[1] : none;
  switch (f) {
    case F::kDstMac: copy(m.dst, 6); break;
    case F::kSrcMac: copy(m.src, 6); break;
    case F::kVlanId: u16(t0.vid); break;
    case F::kVlanPrio: v[0] = t0.prio; break;
    case F::kVlanEthType: u16(m.tags.size() > 1 ? m.tags[1].tpid : m.ethertype); break;
    case F::kCvlanId: u16(t1.vid); break;
    case F::kCvlanPrio: v[0] = t1.prio; break;
    case F::kCvlanEthType: u16(m.tags.size() > 2 ? m.tags[2].tpid : m.ethertype); break;
    case F::kIpProto: v[0] = m.proto; break;
    case F::kIpTos: v[0] = m.tos; break;
    case F::kIpTtl: v[0] = m.ttl; break;
    case F::kIpv4Src: copy(m.ip_src, 4); break;
    case F::kIpv4Dst: copy(m.ip_dst, 4); break;
    case F::kIpv6Src: copy(m.ip_src, 16); break;
    case F::kIpv6Dst: copy(m.ip_dst, 16); break;
    case F::kSrcPort: u16(m.sport); break;
    case F::kDstPort: u16(m.dport); break;
    case F::kTcpFlags: u16(m.tcp_flags & 0xfff); break;
    case F::kIcmpType: v[0] = m.icmp_type; break;
    case F::kIcmpCode: v[0] = m.icmp_code; break;
    case F::kArpSip: copy(m.arp_sip, 4); break;
    case F::kArpTip: copy(m.arp_tip, 4); break;
    case F::kArpOp: v[0] = static_cast<uint8_t>(m.arp_op); break;
    case F::kArpSha: copy(m.arp_sha, 6); break;
    case F::kArpTha: copy(m.arp_tha, 6); break;
    case F::kIpFlags: v[0] = m.frag; break;
    default: break;
  }
  return v;
}

inline void write_field(FrameModel& m, ir::Field f, const ir::Bytes16& v) {
  using F = ir::Field;
  const uint16_t x16 = static_cast<uint16_t>(v[0] << 8 | v[1]);
  auto paste = [&](auto& a, size_t n) { std::copy_n(v.begin(), n, a.begin()); };
  auto tag = [&](size_t i) -> VlanTag& {
    if (m.tags.size() <= i) m.tags.resize(i + 1);
    return m.tags[i];
  };
  const bool vlan_type = x16 == 0x8100 || x16 == 0x88a8;
  switch (f) {
    case F::kDstMac: paste(m.dst, 6); break;
    case F::kSrcMac: paste(m.src, 6); break;
    case F::kVlanId: tag(0).vid = x16 & 0xfff; break;
    case F::kVlanPrio: tag(0).prio = v[0] & 7; break;
    case F::kVlanEthType:
      tag(0);
      if (vlan_type) {
        tag(1).tpid = x16;
      } else {
        m.tags.resize(1);
        m.ethertype = x16;
      }
      break;
    case F::kCvlanId: tag(1).vid = x16 & 0xfff; break;
    case F::kCvlanPrio: tag(1).prio = v[0] & 7; break;
    case F::kCvlanEthType:
      tag(1);
      m.tags.resize(2);
      m.ethertype = x16;
      break;
    case F::kIpProto: m.proto = v[0]; break;
    case F::kIpTos: m.tos = v[0]; break;
    case F::kIpTtl: m.ttl = v[0]; break;
    case F::kIpv4Src: paste(m.ip_src, 4); break;
    case F::kIpv4Dst: paste(m.ip_dst, 4); break;
    case F::kIpv6Src: paste(m.ip_src, 16); break;
    case F::kIpv6Dst: paste(m.ip_dst, 16); break;
    case F::kSrcPort: m.sport = x16; break;
    case F::kDstPort: m.dport = x16; break;
    case F::kTcpFlags: m.tcp_flags = x16 & 0xfff; break;
    case F::kIcmpType: m.icmp_type = v[0]; break;
    case F::kIcmpCode: m.icmp_code = v[0]; break;
    case F::kArpSip: paste(m.arp_sip, 4); break;
    case F::kArpTip: paste(m.arp_tip, 4); break;
    case F::kArpOp: m.arp_op = v[0]; break;  // the kernel keys the low byte; the high one is 0
    case F::kArpSha: paste(m.arp_sha, 6); break;
    case F::kArpTha: paste(m.arp_tha, 6); break;
    case F::kIpFlags: m.frag = v[0] & (ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag); break;
    default: break;
  }
}

}  // namespace tc2xdp::testing::gen
