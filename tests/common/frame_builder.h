// Builds Ethernet frames layer by layer for tests: the builder fills what the layers imply
// (ethertypes, IP protocol numbers, lengths, MPLS bottom-of-stack, checksums) unless a layer sets
// it explicitly, so a test states only what it is about. Header-only; used by the reference
// interpreter's unit tests and the differential packet tests.
//
//   auto frame = FrameBuilder().eth().vlan(10).ipv4({.src = ip4(10,0,0,1)}).tcp({.dport =
//   80}).build();
#pragma once

// Tests name only the options they care about (`ipv4({.ttl = 1})`); -Wextra would flag every
// omitted member of these aggregates at each call site in the including file.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace tc2xdp::testing {

using Mac = std::array<uint8_t, 6>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

inline constexpr Ip4 ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {a, b, c, d};
}
// 2001:db8::<last>
inline Ip6 ip6(uint16_t last) {
  Ip6 a{0x20, 0x01, 0x0d, 0xb8};
  a[14] = static_cast<uint8_t>(last >> 8);
  a[15] = static_cast<uint8_t>(last);
  return a;
}

// The Internet checksum over bytes (RFC 1071), for building and for checking outputs.
inline uint16_t inet_checksum(const uint8_t* p, size_t n, uint32_t initial = 0) {
  uint64_t sum = initial;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n & 1) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct EthOpts {
  Mac dst{0x02, 0, 0, 0, 0, 0x02};
  Mac src{0x02, 0, 0, 0, 0, 0x01};
  std::optional<uint16_t> type;  // default: the next layer's
};
struct Ipv4Opts {
  Ip4 src{10, 0, 0, 1};
  Ip4 dst{10, 0, 0, 2};
  uint8_t tos = 0;
  uint8_t ttl = 64;
  uint16_t id = 1;
  bool df = false;
  bool mf = false;
  uint16_t frag_offset = 0;      // in 8-byte units
  std::vector<uint8_t> options;  // padded to 4 bytes
  std::optional<uint8_t> protocol;
  std::optional<uint16_t> total_length;  // default: to the end of the frame
  bool bad_checksum = false;
};
struct Ipv6Opts {
  Ip6 src = ip6(1);
  Ip6 dst = ip6(2);
  uint8_t traffic_class = 0;
  uint8_t hop_limit = 64;
  uint32_t flow_label = 0;
  std::optional<uint8_t> next_header;
};
struct TcpOpts {
  uint16_t sport = 1000;
  uint16_t dport = 80;
  uint16_t flags = 0x02;  // 12 bits: SYN by default
  uint8_t data_offset = 5;
};
struct UdpOpts {
  uint16_t sport = 1000;
  uint16_t dport = 53;
  bool zero_checksum = false;
};

class FrameBuilder {
 public:
  FrameBuilder& eth(EthOpts o = {}) {
    return add(Kind::kEth, 0, [o](Layer& l) { l.eth = o; });
  }
  FrameBuilder& vlan(uint16_t vid, uint8_t prio = 0, uint16_t tpid = 0x8100) {
    return add(Kind::kVlan, tpid,
               [=](Layer& l) { l.tci = static_cast<uint16_t>(prio << 13 | vid); });
  }
  FrameBuilder& qinq(uint16_t outer, uint16_t inner) { return vlan(outer, 0, 0x88a8).vlan(inner); }
  // bos default: set on the last label of a run.
  FrameBuilder& mpls(uint32_t label, uint8_t tc = 0, uint8_t ttl = 64,
                     std::optional<bool> bos = std::nullopt) {
    return add(Kind::kMpls, 0x8847,
               [=](Layer& l) { l.label = label, l.tc = tc, l.ttl8 = ttl, l.bos = bos; });
  }
  FrameBuilder& ipv4(Ipv4Opts o = {}) {
    return add(Kind::kIpv4, 0x0800, [o](Layer& l) { l.v4 = o; });
  }
  FrameBuilder& ipv6(Ipv6Opts o = {}) {
    return add(Kind::kIpv6, 0x86dd, [o](Layer& l) { l.v6 = o; });
  }
  // Hop-by-hop (0), routing (43) or destination options (60): 8 * (len8 + 1) bytes.
  FrameBuilder& ipv6_ext(uint8_t type, uint8_t len8 = 0) {
    return add(Kind::kIpv6Ext, 0, [=](Layer& l) { l.proto = type, l.len8 = len8; });
  }
  FrameBuilder& ipv6_frag(uint16_t offset8, bool more, uint32_t id = 7) {
    return add(Kind::kIpv6Frag, 0, [=](Layer& l) {
      l.proto = 44, l.frag_offset = offset8, l.more = more, l.frag_id = id;
    });
  }
  FrameBuilder& tcp(TcpOpts o = {}) {
    return add(Kind::kTcp, 0, [o](Layer& l) { l.tcp = o, l.proto = 6; });
  }
  FrameBuilder& udp(UdpOpts o = {}) {
    return add(Kind::kUdp, 0, [o](Layer& l) { l.udp = o, l.proto = 17; });
  }
  FrameBuilder& icmp(uint8_t type, uint8_t code = 0) {
    return add(Kind::kIcmp, 0,
               [=](Layer& l) { l.proto = 1, l.icmp_type = type, l.icmp_code = code; });
  }
  FrameBuilder& icmpv6(uint8_t type, uint8_t code = 0) {
    return add(Kind::kIcmpv6, 0,
               [=](Layer& l) { l.proto = 58, l.icmp_type = type, l.icmp_code = code; });
  }
  // Ethernet/IPv4 ARP.
  FrameBuilder& arp(uint16_t op, Mac sha, Ip4 sip, Mac tha, Ip4 tip) {
    return add(Kind::kArp, 0x0806, [=](Layer& l) {
      l.arp_op = op, l.sha = sha, l.sip = sip, l.tha = tha, l.tip = tip;
    });
  }
  FrameBuilder& payload(std::vector<uint8_t> bytes) {
    return add(Kind::kPayload, 0, [&](Layer& l) { l.bytes = std::move(bytes); });
  }
  FrameBuilder& payload(size_t n, uint8_t fill = 0xab) {
    return payload(std::vector<uint8_t>(n, fill));
  }
  // Pads the frame with zeros to at least n bytes (like the 60-byte Ethernet minimum); padding
  // is outside every IP length.
  FrameBuilder& pad_to(size_t n) {
    pad_to_ = n;
    return *this;
  }

  std::vector<uint8_t> build() const {
    std::vector<uint8_t> f;
    std::vector<size_t> start(layers_.size());
    for (size_t i = 0; i < layers_.size(); ++i) {
      start[i] = f.size();
      emit(i, f);
    }
    // Lengths and checksums, innermost first so outer checksums cover final inner bytes.
    for (size_t i = layers_.size(); i-- > 0;) finish(i, start, f);
    if (f.size() < pad_to_) f.resize(pad_to_, 0);
    return f;
  }

 private:
  enum class Kind {
    kEth,
    kVlan,
    kMpls,
    kIpv4,
    kIpv6,
    kIpv6Ext,
    kIpv6Frag,
    kTcp,
    kUdp,
    kIcmp,
    kIcmpv6,
    kArp,
    kPayload
  };
  struct Layer {
    Kind kind;
    uint16_t ethertype = 0;  // what the previous L2 header names for this layer
    uint8_t proto = 0;       // what the previous IP header names for this layer
    EthOpts eth;
    uint16_t tci = 0;
    uint32_t label = 0;
    uint8_t tc = 0, ttl8 = 0;
    std::optional<bool> bos;
    Ipv4Opts v4;
    Ipv6Opts v6;
    uint8_t len8 = 0;
    uint16_t frag_offset = 0;
    bool more = false;
    uint32_t frag_id = 0;
    TcpOpts tcp;
    UdpOpts udp;
    uint8_t icmp_type = 0, icmp_code = 0;
    uint16_t arp_op = 0;
    Mac sha{}, tha{};
    Ip4 sip{}, tip{};
    std::vector<uint8_t> bytes;
  };

  template <typename F>
  FrameBuilder& add(Kind k, uint16_t ethertype, F init) {
    Layer l;
    l.kind = k;
    l.ethertype = ethertype;
    init(l);
    if (k == Kind::kVlan) l.ethertype = ethertype;  // the tag's TPID
    layers_.push_back(std::move(l));
    return *this;
  }

  static void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
    f[at] = static_cast<uint8_t>(v >> 8);
    f[at + 1] = static_cast<uint8_t>(v);
  }
  static void push16(std::vector<uint8_t>& f, uint16_t v) {
    f.push_back(static_cast<uint8_t>(v >> 8));
    f.push_back(static_cast<uint8_t>(v));
  }
  const Layer* next(size_t i) const { return i + 1 < layers_.size() ? &layers_[i + 1] : nullptr; }
  uint16_t next_ethertype(size_t i) const { return next(i) ? next(i)->ethertype : 0; }
  uint8_t next_proto(size_t i) const { return next(i) ? next(i)->proto : 59; }

  void emit(size_t i, std::vector<uint8_t>& f) const {
    const Layer& l = layers_[i];
    switch (l.kind) {
      case Kind::kEth:
        f.insert(f.end(), l.eth.dst.begin(), l.eth.dst.end());
        f.insert(f.end(), l.eth.src.begin(), l.eth.src.end());
        push16(f, l.eth.type.value_or(next_ethertype(i)));
        break;
      case Kind::kVlan:
        push16(f, l.tci);
        push16(f, next_ethertype(i));
        break;
      case Kind::kMpls: {
        const bool bos = l.bos.value_or(!next(i) || next(i)->kind != Kind::kMpls);
        const uint32_t e = l.label << 12 | (l.tc & 7u) << 9 | (bos ? 1u : 0u) << 8 | l.ttl8;
        for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(e >> s));
        break;
      }
      case Kind::kIpv4: {
        const size_t opt = (l.v4.options.size() + 3) / 4 * 4;
        f.push_back(static_cast<uint8_t>(0x40 | (20 + opt) / 4));
        f.push_back(l.v4.tos);
        push16(f, 0);  // total length: finish()
        push16(f, l.v4.id);
        push16(f, static_cast<uint16_t>((l.v4.df ? 0x4000 : 0) | (l.v4.mf ? 0x2000 : 0) |
                                        (l.v4.frag_offset & 0x1fff)));
        f.push_back(l.v4.ttl);
        f.push_back(l.v4.protocol.value_or(next_proto(i)));
        push16(f, 0);
        f.insert(f.end(), l.v4.src.begin(), l.v4.src.end());
        f.insert(f.end(), l.v4.dst.begin(), l.v4.dst.end());
        f.insert(f.end(), l.v4.options.begin(), l.v4.options.end());
        f.resize(f.size() + (opt - l.v4.options.size()), 0);
        break;
      }
      case Kind::kIpv6: {
        const uint32_t w = 6u << 28 | static_cast<uint32_t>(l.v6.traffic_class) << 20 |
                           (l.v6.flow_label & 0xfffff);
        for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(w >> s));
        push16(f, 0);
        f.push_back(l.v6.next_header.value_or(next_proto(i)));
        f.push_back(l.v6.hop_limit);
        f.insert(f.end(), l.v6.src.begin(), l.v6.src.end());
        f.insert(f.end(), l.v6.dst.begin(), l.v6.dst.end());
        break;
      }
      case Kind::kIpv6Ext: {
        f.push_back(next_proto(i));
        f.push_back(l.len8);
        const size_t n = 8u * (l.len8 + 1) - 2;
        f.push_back(1), f.push_back(static_cast<uint8_t>(n - 2));  // one PadN option filling it
        f.resize(f.size() + n - 2, 0);
        break;
      }
      case Kind::kIpv6Frag:
        f.push_back(next_proto(i));
        f.push_back(0);
        push16(f, static_cast<uint16_t>(l.frag_offset << 3 | (l.more ? 1 : 0)));
        for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(l.frag_id >> s));
        break;
      case Kind::kTcp:
        push16(f, l.tcp.sport);
        push16(f, l.tcp.dport);
        for (int k = 0; k < 8; ++k) f.push_back(0);  // seq, ack
        push16(f, static_cast<uint16_t>(l.tcp.data_offset << 12 | (l.tcp.flags & 0x0fff)));
        push16(f, 0xffff);  // window
        push16(f, 0);       // checksum
        push16(f, 0);
        if (l.tcp.data_offset > 5) f.resize(f.size() + 4u * (l.tcp.data_offset - 5), 1);
        break;
      case Kind::kUdp:
        push16(f, l.udp.sport);
        push16(f, l.udp.dport);
        push16(f, 0), push16(f, 0);
        break;
      case Kind::kIcmp:
      case Kind::kIcmpv6:
        f.push_back(l.icmp_type), f.push_back(l.icmp_code);
        push16(f, 0), push16(f, 0x1234), push16(f, 1);
        break;
      case Kind::kArp:
        push16(f, 1), push16(f, 0x0800);
        f.push_back(6), f.push_back(4);
        push16(f, l.arp_op);
        f.insert(f.end(), l.sha.begin(), l.sha.end());
        f.insert(f.end(), l.sip.begin(), l.sip.end());
        f.insert(f.end(), l.tha.begin(), l.tha.end());
        f.insert(f.end(), l.tip.begin(), l.tip.end());
        break;
      case Kind::kPayload: f.insert(f.end(), l.bytes.begin(), l.bytes.end()); break;
    }
  }

  // The nearest IP layer before i: its index, or -1.
  int ip_before(size_t i) const {
    for (size_t j = i; j-- > 0;)
      if (layers_[j].kind == Kind::kIpv4 || layers_[j].kind == Kind::kIpv6)
        return static_cast<int>(j);
    return -1;
  }

  uint32_t pseudo_sum(size_t ip, const std::vector<size_t>& start, const std::vector<uint8_t>& f,
                      uint8_t proto, size_t len) const {
    const bool v4 = layers_[ip].kind == Kind::kIpv4;
    const uint8_t* h = f.data() + start[ip];
    std::vector<uint8_t> ph(v4 ? h + 12 : h + 8, v4 ? h + 20 : h + 40);
    if (v4) {
      ph.push_back(0), ph.push_back(proto);
      ph.push_back(static_cast<uint8_t>(len >> 8)), ph.push_back(static_cast<uint8_t>(len));
    } else {
      for (int s = 24; s >= 0; s -= 8) ph.push_back(static_cast<uint8_t>(len >> s));
      ph.push_back(0), ph.push_back(0), ph.push_back(0), ph.push_back(proto);
    }
    return static_cast<uint16_t>(~inet_checksum(ph.data(), ph.size()));
  }

  void finish(size_t i, const std::vector<size_t>& start, std::vector<uint8_t>& f) const {
    const Layer& l = layers_[i];
    const size_t at = start[i];
    const size_t len = f.size() - at;
    switch (l.kind) {
      case Kind::kIpv4: {
        put16(f, at + 2, l.v4.total_length.value_or(static_cast<uint16_t>(len)));
        const size_t ihl = (f[at] & 0x0f) * 4u;
        put16(f, at + 10, 0);
        uint16_t c = inet_checksum(f.data() + at, ihl);
        put16(f, at + 10, l.v4.bad_checksum ? static_cast<uint16_t>(c ^ 0xffff) : c);
        break;
      }
      case Kind::kIpv6: put16(f, at + 4, static_cast<uint16_t>(len - 40)); break;
      case Kind::kUdp: put16(f, at + 4, static_cast<uint16_t>(len)); [[fallthrough]];
      case Kind::kTcp:
      case Kind::kIcmpv6: {
        const int ip = ip_before(i);
        const size_t field = l.kind == Kind::kTcp ? 16 : l.kind == Kind::kUdp ? 6 : 2;
        if (l.kind == Kind::kUdp && l.udp.zero_checksum) break;
        const uint32_t ps =
            ip < 0 ? 0 : pseudo_sum(static_cast<size_t>(ip), start, f, l.proto, len);
        put16(f, at + field, 0);
        uint16_t c = inet_checksum(f.data() + at, len, ps);
        if (l.kind == Kind::kUdp && c == 0) c = 0xffff;
        put16(f, at + field, c);
        break;
      }
      case Kind::kIcmp:
        put16(f, at + 2, 0);
        put16(f, at + 2, inet_checksum(f.data() + at, len));
        break;
      default: break;
    }
  }

  std::vector<Layer> layers_;
  size_t pad_to_ = 0;
};

}  // namespace tc2xdp::testing
