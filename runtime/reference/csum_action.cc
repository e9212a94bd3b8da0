// act_csum (tcf_csum_act, tcf_csum_ipv4, tcf_csum_ipv6 and their per-protocol helpers). The
// action looks through VLAN tags to the IP header, recomputes the checksums its flags name over
// the lengths the IP header states, and drops the packet when a header it needs is not there.
#include "bytes.h"
#include "checksum.h"
#include "frame_actions.h"

namespace tc2xdp::reference::detail {

namespace {

constexpr uint32_t kIpv4Hdr = 1, kIcmp = 2, kIgmp = 4, kTcp = 8, kUdp = 16, kUdplite = 32,
                   kSctp = 64;

class Csum {
 public:
  Csum(std::vector<uint8_t>& f, uint32_t flags) : f_(f), flags_(flags) {}

  bool run(std::string& note) {
    size_t off = 12;
    uint16_t proto = be16(f_.data() + off);
    while (is_vlan_tpid(proto)) {
      if (!fits(f_, off + 4, 2)) {
        note = "csum: truncated VLAN tag";
        return true;
      }
      off += 4;
      proto = be16(f_.data() + off);
    }
    nh_ = off + 2;
    if (proto == kEthPIp) return ipv4(note);
    if (proto == kEthPIpv6) return ipv6(note);
    note = "csum: not IP";
    return true;
  }

 private:
  uint8_t* nh() { return f_.data() + nh_; }

  // tcf_csum_skb_nextlayer: the IP payload must be in the frame and hold the L4 header.
  uint8_t* next_layer(size_t ihl, size_t ipl, size_t jhl) {
    if (!fits(f_, nh_, ipl) || ipl < ihl + jhl) return nullptr;
    return nh() + ihl;
  }

  uint32_t pseudo_v4(uint8_t proto, size_t len) {
    uint32_t s = csum_add_bytes(0, nh() + 12, 8);
    uint8_t tail[4] = {0, proto, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    return csum_add_bytes(s, tail, 4);
  }
  uint32_t pseudo_v6(uint8_t proto, size_t len) {
    uint32_t s = csum_add_bytes(0, nh() + 8, 32);
    uint8_t tail[8] = {static_cast<uint8_t>(len >> 24),
                       static_cast<uint8_t>(len >> 16),
                       static_cast<uint8_t>(len >> 8),
                       static_cast<uint8_t>(len),
                       0,
                       0,
                       0,
                       proto};
    return csum_add_bytes(s, tail, 8);
  }

  // ICMP/IGMP (v4): no pseudo header. ICMPv6: with one.
  bool simple(size_t ihl, size_t ipl, int field, bool v6) {
    uint8_t* h = next_layer(ihl, ipl, 8);
    if (!h) return false;
    put_be16(h + field, 0);
    uint32_t s = csum_add_bytes(v6 ? pseudo_v6(kIpprotoIcmpv6, ipl - ihl) : 0, h, ipl - ihl);
    put_be16(h + field, csum_fold(s));
    return true;
  }

  bool tcp(size_t ihl, size_t ipl, bool v6) {
    uint8_t* h = next_layer(ihl, ipl, 20);
    if (!h) return false;
    put_be16(h + 16, 0);
    const size_t len = ipl - ihl;
    uint32_t s = v6 ? pseudo_v6(kIpprotoTcp, len) : pseudo_v4(kIpprotoTcp, len);
    put_be16(h + 16, csum_fold(csum_add_bytes(s, h, len)));  // a zero result stays zero
    return true;
  }

  bool udp(size_t ihl, size_t ipl, bool v6, bool lite) {
    uint8_t* h = next_layer(ihl, ipl, 8);
    if (!h) return false;
    const size_t ul = be16(h + 4);
    // IPv4 UDP without a checksum keeps none; IPv6 always gets one.
    if (!v6 && !lite && be16(h + 6) == 0) return true;
    put_be16(h + 6, 0);
    size_t covered;
    if (lite) {
      if (ul == 0)
        covered = ipl - ihl;
      else if (ul >= 8 && ul <= ipl - ihl)
        covered = ul;
      else
        return true;  // "obscure": left with a zero checksum, as the kernel does
    } else {
      if (ul != ipl - ihl) return true;  // likewise
      covered = ul;
    }
    const uint8_t proto = lite ? kIpprotoUdplite : kIpprotoUdp;
    uint32_t s = v6 ? pseudo_v6(proto, ul) : pseudo_v4(nh()[9], ul);
    uint16_t c = csum_fold(csum_add_bytes(s, h, covered));
    put_be16(h + 6, c ? c : 0xffff);  // CSUM_MANGLED_0
    return true;
  }

  // sctp_compute_cksum covers the SCTP packet to the end of the frame; stored little-endian.
  bool sctp(size_t ihl, size_t ipl) {
    uint8_t* h = next_layer(ihl, ipl, 12);
    if (!h) return false;
    for (int i = 8; i < 12; ++i) h[i] = 0;
    const uint32_t crc = crc32c(h, f_.size() - (nh_ + ihl));
    for (int i = 0; i < 4; ++i) h[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
    return true;
  }

  bool ipv4(std::string& note) {
    if (!fits(f_, nh_, 20)) return fail(note, "IPv4 header truncated");
    const size_t ihl = (nh()[0] & 0x0f) * 4u;
    if (ihl < 20) return fail(note, "IPv4 header length below 20");
    const size_t ipl = be16(nh() + 2);
    const uint8_t proto = (be16(nh() + 6) & 0x1fff) ? 0 : nh()[9];  // later fragments: no L4
    bool ok = true;
    switch (proto) {
      case kIpprotoIcmp: ok = !(flags_ & kIcmp) || simple(ihl, ipl, 2, false); break;
      case kIpprotoIgmp: ok = !(flags_ & kIgmp) || simple(ihl, ipl, 2, false); break;
      case kIpprotoTcp: ok = !(flags_ & kTcp) || tcp(ihl, ipl, false); break;
      case kIpprotoUdp: ok = !(flags_ & kUdp) || udp(ihl, ipl, false, false); break;
      case kIpprotoUdplite: ok = !(flags_ & kUdplite) || udp(ihl, ipl, false, true); break;
      case kIpprotoSctp: ok = !(flags_ & kSctp) || sctp(ihl, ipl); break;
      default: break;
    }
    if (!ok) return fail(note, "L4 header or IP payload truncated");
    if (flags_ & kIpv4Hdr) {
      if (!fits(f_, nh_, ihl)) return fail(note, "IPv4 options truncated");
      put_be16(nh() + 10, 0);
      put_be16(nh() + 10, csum_fold(csum_add_bytes(0, nh(), ihl)));
    }
    note = "csum: IPv4 updated";
    return true;
  }

  bool ipv6(std::string& note) {
    if (!fits(f_, nh_, 40)) return fail(note, "IPv6 header truncated");
    size_t pl = be16(nh() + 4);
    uint8_t next = nh()[6];
    size_t hl = 40;
    for (;;) {
      switch (next) {
        case kIpprotoFragment: note = "csum: IPv6 fragment ignored"; return true;
        case kIpprotoRouting:
        case kIpprotoHop:
        case kIpprotoDest: {
          if (!fits(f_, nh_ + hl, 2)) return fail(note, "IPv6 extension header truncated");
          const size_t xl = (nh()[hl + 1] + 1u) * 8;
          if (!fits(f_, nh_ + hl, xl)) return fail(note, "IPv6 extension header truncated");
          if (next == kIpprotoHop && !hop_jumbo(hl, xl, pl)) return fail(note, "bad jumbo option");
          next = nh()[hl];
          hl += xl;
          break;
        }
        case kIpprotoIcmpv6:
          if ((flags_ & kIcmp) && !simple(hl, pl + 40, 2, true)) return fail(note, "ICMPv6");
          note = "csum: IPv6 updated";
          return true;
        case kIpprotoTcp:
          if ((flags_ & kTcp) && !tcp(hl, pl + 40, true)) return fail(note, "TCP");
          note = "csum: IPv6 updated";
          return true;
        case kIpprotoUdp:
        case kIpprotoUdplite: {
          const bool lite = next == kIpprotoUdplite;
          if ((flags_ & (lite ? kUdplite : kUdp)) && !udp(hl, pl + 40, true, lite))
            return fail(note, "UDP");
          note = "csum: IPv6 updated";
          return true;
        }
        case kIpprotoSctp:
          if ((flags_ & kSctp) && !sctp(hl, pl + 40)) return fail(note, "SCTP");
          note = "csum: IPv6 updated";
          return true;
        default: note = "csum: IPv6 payload not checksummed"; return true;
      }
      if (!fits(f_, nh_ + hl, 1)) {
        note = "csum: IPv6 chain ends";
        return true;
      }
    }
  }

  // tcf_csum_ipv6_hopopts: a jumbo payload option replaces the payload length.
  bool hop_jumbo(size_t hl, size_t xl, size_t& pl) {
    const uint8_t* x = nh() + hl;
    size_t off = 2;
    long len = static_cast<long>(xl) - 2;
    while (len > 1) {
      size_t optlen;
      if (x[off] == 0) {
        optlen = 1;
      } else if (x[off] == 0xc2) {
        optlen = x[off + 1] + 2u;
        if (optlen != 6 || len < 6 || (off & 3) != 2) return false;
        pl = be32(x + off + 2);
        return true;
      } else {
        optlen = x[off + 1] + 2u;
        if (static_cast<long>(optlen) > len) return true;
      }
      off += optlen;
      len -= static_cast<long>(optlen);
    }
    return true;
  }

  bool fail(std::string& note, const char* why) {
    note = std::string("csum failed: ") + why;
    return false;
  }

  std::vector<uint8_t>& f_;
  uint32_t flags_;
  size_t nh_ = 0;
};

}  // namespace

bool apply_csum(const ir::CsumAction& a, std::vector<uint8_t>& frame, std::string& note) {
  return Csum(frame, a.flags).run(note);
}

}  // namespace tc2xdp::reference::detail
