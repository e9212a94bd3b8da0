// The frame dissector: __skb_flow_dissect as cls_flower calls it
// (FLOW_DISSECTOR_F_STOP_BEFORE_ENCAP, no FLOW_DISSECTOR_F_PARSE_1ST_FRAG), on a frame as XDP sees
// it. The control flow mirrors the kernel's two stages (network protocol, then IP protocol) and its
// header budget, because what is dissected when a header is truncated or unusual is part of the
// semantics.
#include <algorithm>

#include "bytes.h"
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference {

namespace {

using namespace detail;
using ir::Field;

constexpr int kMaxFlowDissectHdrs = 15;  // MAX_FLOW_DISSECT_HDRS

enum class Ret { kContinue, kOutGood, kOutBad, kProtoAgain, kIpProtoAgain };

void put(FlowKey& key, Field f, const uint8_t* bytes, size_t n) {
  ir::Bytes16 b{};
  std::copy_n(bytes, n, b.begin());
  key.fields[static_cast<size_t>(f)] = b;
}
void put_u8(FlowKey& key, Field f, uint8_t v) {
  put(key, f, &v, 1);
}
void put_u16(FlowKey& key, Field f, uint16_t v) {
  uint8_t b[2];
  put_be16(b, v);
  put(key, f, b, 2);
}

class Dissector {
 public:
  Dissector(std::span<const uint8_t> frame, FlowKey& key) : f_(frame), key_(key) {}

  void run() {
    proto_ = link_protocol(f_);
    key_.outer_protocol = proto_;
    nhoff_ = kEthHlen;
    for (;;) {
      const Ret r = network_stage();
      if (r == Ret::kProtoAgain) {
        if (allowed()) continue;
        break;
      }
      if (r != Ret::kContinue) break;  // out_good / out_bad: nothing more is dissected
      if (!transport_stage()) break;
    }
    key_.n_proto = proto_;
    if (ip_seen_) {
      put_u8(key_, Field::kIpProto, ip_proto_);
      put_u8(key_, Field::kIpFlags, flags_);
    }
  }

 private:
  bool allowed() { return ++num_hdrs_ <= kMaxFlowDissectHdrs; }
  const uint8_t* at(size_t off, size_t len) const {
    return fits(f_, off, len) ? f_.data() + off : nullptr;
  }

  Ret network_stage() {
    switch (proto_) {
      case kEthPIp: return ipv4();
      case kEthPIpv6: return ipv6();
      case kEthP8021Q:
      case kEthP8021AD: return vlan();
      case kEthPPppSes: return pppoe();
      case kEthPMplsUc:
      case kEthPMplsMc: return mpls();
      case kEthPArp:
      case kEthPRarp: return arp();
      case kEthPHsr:
      case kEthPPrp: {
        const uint8_t* h = at(nhoff_, 6);
        if (!h) return Ret::kOutBad;
        proto_ = be16(h + 4);
        nhoff_ += 6;
        return Ret::kProtoAgain;
      }
      default: return Ret::kOutBad;  // unknown: n_proto stays the ethertype
    }
  }

  Ret ipv4() {
    const uint8_t* h = at(nhoff_, 20);
    if (!h || (h[0] & 0x0f) < 5) return Ret::kOutBad;
    nhoff_ += (h[0] & 0x0f) * 4u;
    ip_proto_ = h[9];
    ip_seen_ = true;
    put(key_, Field::kIpv4Src, h + 12, 4);  // also sets control.addr_type
    put(key_, Field::kIpv4Dst, h + 16, 4);
    put_u8(key_, Field::kIpTos, h[1]);
    put_u8(key_, Field::kIpTtl, h[8]);
    const uint16_t frag = be16(h + 6);
    if (frag & 0x3fff) {  // MF or an offset: a fragment
      flags_ |= ir::kIpFlagIsFragment;
      if (!(frag & 0x1fff)) flags_ |= ir::kIpFlagFirstFrag;
      return Ret::kOutGood;  // first fragments too: flower does not ask for PARSE_1ST_FRAG
    }
    return Ret::kContinue;
  }

  Ret ipv6() {
    const uint8_t* h = at(nhoff_, 40);
    if (!h) return Ret::kOutBad;
    ip_proto_ = h[6];
    ip_seen_ = true;
    nhoff_ += 40;
    put(key_, Field::kIpv6Src, h + 8, 16);
    put(key_, Field::kIpv6Dst, h + 24, 16);
    put_u8(key_, Field::kIpTos, static_cast<uint8_t>(be16(h) >> 4));
    put_u8(key_, Field::kIpTtl, h[7]);
    return Ret::kContinue;
  }

  // The first tag fills the vlan key, the second cvlan; later tags are skipped unrecorded.
  Ret vlan() {
    const uint16_t tpid = proto_;
    const uint8_t* h = at(nhoff_, kVlanHlen);
    if (!h) return Ret::kOutBad;
    const uint16_t tci = be16(h);
    proto_ = be16(h + 2);
    nhoff_ += kVlanHlen;
    if (vlan_depth_ < 2) {
      const bool outer = vlan_depth_ == 0;
      put_u16(key_, outer ? Field::kVlanId : Field::kCvlanId, tci & 0x0fff);
      put_u8(key_, outer ? Field::kVlanPrio : Field::kCvlanPrio, static_cast<uint8_t>(tci >> 13));
      put_u16(key_, outer ? Field::kVlanEthType : Field::kCvlanEthType, proto_);
      (outer ? key_.vlan_tpid : key_.cvlan_tpid) = tpid;
    }
    ++vlan_depth_;
    return Ret::kProtoAgain;
  }

  Ret pppoe() {
    const uint8_t* h = at(nhoff_, 8);
    if (!h || h[0] != 0x11 || h[1] != 0) return Ret::kOutBad;  // version 1, type 1, code 0
    const uint16_t ppp = be16(h + 6);
    nhoff_ += 8;
    switch (ppp) {
      case 0x0021: proto_ = kEthPIp; return Ret::kProtoAgain;
      case 0x0057: proto_ = kEthPIpv6; return Ret::kProtoAgain;
      case 0x0281: proto_ = kEthPMplsUc; return Ret::kProtoAgain;
      case 0x0283: proto_ = kEthPMplsMc; return Ret::kProtoAgain;
      default: return Ret::kOutGood;
    }
  }

  // One label stack entry per pass, at most FLOW_DIS_MPLS_MAX; nothing below the stack is parsed.
  Ret mpls() {
    if (mpls_lse_ >= ir::kMaxMplsDepth) return Ret::kOutGood;
    const uint8_t* h = at(nhoff_, 4);
    if (!h) return Ret::kOutBad;
    const uint32_t entry = be32(h);
    FlowKey::Lse lse{entry >> 12, static_cast<uint8_t>((entry >> 9) & 7),
                     static_cast<uint8_t>((entry >> 8) & 1), static_cast<uint8_t>(entry)};
    key_.mpls.push_back(lse);
    nhoff_ += 4;
    ++mpls_lse_;
    return lse.bos ? Ret::kOutGood : Ret::kProtoAgain;
  }

  // Only Ethernet/IPv4 requests and replies fill the ARP key.
  Ret arp() {
    const uint8_t* h = at(nhoff_, 8);
    if (!h) return Ret::kOutBad;
    const uint16_t op = be16(h + 6);
    if (be16(h) != 1 || be16(h + 2) != kEthPIp || h[4] != 6 || h[5] != 4 || (op != 1 && op != 2))
      return Ret::kOutBad;
    const uint8_t* b = at(nhoff_ + 8, 20);
    if (!b) return Ret::kOutBad;
    put(key_, Field::kArpSha, b, 6);
    put(key_, Field::kArpSip, b + 6, 4);
    put(key_, Field::kArpTha, b + 10, 6);
    put(key_, Field::kArpTip, b + 16, 4);
    put_u8(key_, Field::kArpOp, static_cast<uint8_t>(op & 0xff));
    return Ret::kOutGood;
  }

  // Returns true to run the network stage again (an IP protocol that carries one, e.g. MPLS).
  bool transport_stage() {
    for (;;) {
      Ret r = Ret::kContinue;
      switch (ip_proto_) {
        case kIpprotoGre:
        case kIpprotoIpip:
        case kIpprotoIpv6: r = Ret::kOutGood; break;  // STOP_BEFORE_ENCAP
        case kIpprotoHop:
        case kIpprotoRouting:
        case kIpprotoDest: {
          if (proto_ != kEthPIpv6) break;
          const uint8_t* h = at(nhoff_, 2);
          if (!h) {
            r = Ret::kOutBad;
            break;
          }
          ip_proto_ = h[0];
          nhoff_ += (h[1] + 1u) * 8;
          r = Ret::kIpProtoAgain;
          break;
        }
        case kIpprotoFragment: {
          if (proto_ != kEthPIpv6) break;
          const uint8_t* h = at(nhoff_, 8);
          if (!h) {
            r = Ret::kOutBad;
            break;
          }
          flags_ |= ir::kIpFlagIsFragment;
          nhoff_ += 8;
          ip_proto_ = h[0];
          if (!(be16(h + 2) & 0xfff8)) flags_ |= ir::kIpFlagFirstFrag;
          r = Ret::kOutGood;
          break;
        }
        case kIpprotoMpls:
          proto_ = kEthPMplsUc;
          r = Ret::kProtoAgain;
          break;
        case kIpprotoTcp: tcp_flags(); break;
        case kIpprotoIcmp:
        case kIpprotoIcmpv6: icmp(); break;
        default: break;
      }
      if (!(flags_ & ir::kIpFlagIsFragment)) ports();
      if (r == Ret::kProtoAgain) return allowed();
      if (r == Ret::kIpProtoAgain && allowed()) continue;
      return false;
    }
  }

  void tcp_flags() {
    const uint8_t* h = at(nhoff_, 20);
    if (!h || (h[12] >> 4) < 5) return;
    put_u16(key_, Field::kTcpFlags, be16(h + 12) & 0x0fff);
  }

  void icmp() {
    const uint8_t* h = at(nhoff_, 8);  // a whole struct icmphdr
    if (!h) return;
    put_u8(key_, Field::kIcmpType, h[0]);
    put_u8(key_, Field::kIcmpCode, h[1]);
  }

  // proto_ports_offset: where a protocol keeps its port pair (SPI for ESP/AH); 0 when unreadable.
  void ports() {
    int poff = -1;
    switch (ip_proto_) {
      case kIpprotoTcp:
      case kIpprotoUdp:
      case kIpprotoDccp:
      case kIpprotoEsp:
      case kIpprotoSctp:
      case kIpprotoUdplite: poff = 0; break;
      case kIpprotoAh: poff = 4; break;
      default: break;
    }
    const uint8_t* h = poff < 0 ? nullptr : at(nhoff_ + poff, 4);
    auto& src = key_.fields[static_cast<size_t>(Field::kSrcPort)];
    auto& dst = key_.fields[static_cast<size_t>(Field::kDstPort)];
    if (!h) {
      src.reset(), dst.reset();
      key_.src_port.reset(), key_.dst_port.reset();
      return;
    }
    put(key_, Field::kSrcPort, h, 2);
    put(key_, Field::kDstPort, h + 2, 2);
    key_.src_port = be16(h);
    key_.dst_port = be16(h + 2);
  }

  std::span<const uint8_t> f_;
  FlowKey& key_;
  uint16_t proto_ = 0;
  size_t nhoff_ = 0;
  int num_hdrs_ = 0;
  int vlan_depth_ = 0;
  int mpls_lse_ = 0;
  uint8_t ip_proto_ = 0;
  uint8_t flags_ = 0;
  bool ip_seen_ = false;
};

}  // namespace

FlowKey dissect(std::span<const uint8_t> frame, uint32_t ingress_ifindex) {
  FlowKey key;
  key.ingress_ifindex = ingress_ifindex;
  if (frame.size() < kEthHlen) {
    key.runt = true;
    return key;
  }
  put(key, Field::kDstMac, frame.data(), 6);
  put(key, Field::kSrcMac, frame.data() + 6, 6);
  Dissector(frame, key).run();
  return key;
}

}  // namespace tc2xdp::reference
