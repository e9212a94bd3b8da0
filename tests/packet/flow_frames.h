// A small layer-by-layer frame writer for the compiled-program tests (no checksums: the flow
// dissector never looks at them).
//
//   auto frame = FlowFrame().eth().tag(0x8100, 5).type(0x0800).ipv4(src, dst, 6).tcp(1,
//   80).bytes();
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace tc2xdp::testing {

class FlowFrame {
 public:
  // Destination 02:00:00:00:00:02, source 02:00:00:00:00:01; the ethertype follows (type()).
  FlowFrame& eth() { return raw({2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}); }
  FlowFrame& type(uint16_t ethertype) { return be16(ethertype); }
  // A VLAN tag: TPID then TCI. The encapsulated type follows (type() or another tag()).
  FlowFrame& tag(uint16_t tpid, uint16_t vid, uint8_t prio = 0) {
    return be16(tpid).be16(uint16_t(prio << 13 | (vid & 0x0fff)));
  }
  FlowFrame& ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t frag_off = 0, uint8_t tos = 0,
                  uint8_t ttl = 64, uint8_t ihl = 5) {
    raw({uint8_t(0x40 | ihl), tos}).be16(uint16_t(ihl * 4 + 20)).be16(0x1234).be16(frag_off);
    raw({ttl, proto, 0, 0}).be32(src).be32(dst);
    for (int i = 5; i < ihl; ++i) raw({1, 1, 1, 1});  // NOP options
    return *this;
  }
  FlowFrame& ipv6(const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                  uint8_t next, uint8_t tclass = 0, uint8_t hop_limit = 64) {
    raw({uint8_t(0x60 | tclass >> 4), uint8_t(tclass << 4), 0, 0}).be16(8).raw({next, hop_limit});
    bytes_.insert(bytes_.end(), src.begin(), src.end());
    bytes_.insert(bytes_.end(), dst.begin(), dst.end());
    return *this;
  }
  // An options header (hop-by-hop, routing, destination) of (len + 1) * 8 bytes.
  FlowFrame& ipv6_opts(uint8_t next, uint8_t len = 0) {
    raw({next, len});
    for (int i = 2; i < (len + 1) * 8; ++i) raw({0});
    return *this;
  }
  FlowFrame& ipv6_frag(uint8_t next, uint16_t offset_units, bool more) {
    return raw({next, 0}).be16(uint16_t(offset_units << 3 | (more ? 1 : 0))).be32(0xabcd);
  }
  FlowFrame& tcp(uint16_t sport, uint16_t dport, uint16_t flags = 0x10, uint8_t doff = 5) {
    be16(sport).be16(dport).be32(1).be32(0);
    be16(uint16_t(doff << 12 | (flags & 0x0fff))).be16(512).be32(0);
    for (int i = 5; i < doff; ++i) be32(0x01010101);
    return *this;
  }
  FlowFrame& udp(uint16_t sport, uint16_t dport) {
    return be16(sport).be16(dport).be32(0x00080000);
  }
  FlowFrame& icmp(uint8_t type, uint8_t code) { return raw({type, code, 0, 0}).be32(0x00010001); }
  FlowFrame& arp(uint16_t op, uint32_t sip, uint32_t tip, uint16_t hrd = 1, uint16_t pro = 0x0800) {
    be16(hrd).be16(pro).raw({6, 4}).be16(op);
    raw({2, 0, 0, 0, 0, 0xaa}).be32(sip).raw({2, 0, 0, 0, 0, 0xbb}).be32(tip);
    return *this;
  }
  FlowFrame& mpls(uint32_t label, uint8_t tc, bool bos, uint8_t ttl) {
    return be32(label << 12 | uint32_t(tc & 7) << 9 | uint32_t(bos) << 8 | ttl);
  }
  FlowFrame& raw(std::initializer_list<uint8_t> b) {
    bytes_.insert(bytes_.end(), b);
    return *this;
  }
  FlowFrame& be16(uint16_t v) { return raw({uint8_t(v >> 8), uint8_t(v)}); }
  FlowFrame& be32(uint32_t v) { return be16(uint16_t(v >> 16)).be16(uint16_t(v)); }

  // The frame, zero-padded to `min_size` (60: the shortest Ethernet frame without FCS).
  std::vector<uint8_t> bytes(size_t min_size = 60) const {
    std::vector<uint8_t> out = bytes_;
    if (out.size() < min_size) out.resize(min_size, 0);
    return out;
  }
  // The first `n` bytes, unpadded: a truncated frame.
  std::vector<uint8_t> truncated(size_t n) const {
    return std::vector<uint8_t>(bytes_.begin(), bytes_.begin() + std::min(n, bytes_.size()));
  }

 private:
  std::vector<uint8_t> bytes_;
};

inline constexpr uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d;
}

}  // namespace tc2xdp::testing
