#include "tc2xdp/plan/match_terms.h"

#include <algorithm>
#include <map>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

namespace {

bool is_vlan_tpid(uint16_t t) {
  return t == 0x8100 || t == 0x88a8;
}

// bytes[offset, offset + n) read as a little-endian integer (n <= 8).
uint64_t le_word(const ir::Bytes16& bytes, size_t offset, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{bytes[offset + i]} << (8 * i);
  return v;
}

// Host-order mask and value of one MPLS label stack entry match.
void lse_mask_value(const ir::MplsLseMatch& m, uint32_t& mask, uint32_t& value) {
  mask = value = 0;
  if (m.label) mask |= 0xfffff000u, value |= (*m.label & 0xfffffu) << 12;
  if (m.tc) mask |= 0x00000e00u, value |= (*m.tc & 7u) << 9;
  if (m.bos) mask |= 0x00000100u, value |= (*m.bos & 1u) << 8;
  if (m.ttl) mask |= 0x000000ffu, value |= *m.ttl;
}

// Collects terms, merging two on one component (both must hold).
class TermSet {
 public:
  void add(Component c, uint64_t mask, uint64_t value) {
    mask &= ones(c.bits());
    if (mask == 0) return;
    auto [it, fresh] = terms_.try_emplace(c, Term{c, mask, value & mask});
    if (fresh) return;
    Term& t = it->second;
    const uint64_t both = t.mask & mask;
    if ((t.value & both) != (value & both)) never_ = true;  // contradictory: nothing matches
    t.mask |= mask;
    t.value |= value & mask;
  }
  MatchTerms take() {
    MatchTerms out;
    out.never = never_;
    for (auto& [c, t] : terms_) out.terms.push_back(t);
    return out;
  }
  void never() { never_ = true; }

 private:
  std::map<Component, Term> terms_;
  bool never_ = false;
};

}  // namespace

unsigned Component::bits() const {
  switch (kind) {
    case Kind::kPresent:
    case Kind::kOuterProto:
    case Kind::kNProto:
    case Kind::kVlanTpid:
    case Kind::kCvlanTpid: return 16;
    case Kind::kField: {
      const unsigned width = ir::field_info(static_cast<ir::Field>(index)).width;
      return 8 * std::min(8u, width - 8u * word);
    }
    case Kind::kMpls:
    case Kind::kIngressIfindex: return 32;
  }
  return 64;
}

std::string Component::name() const {
  switch (kind) {
    case Kind::kPresent: return "present";
    case Kind::kOuterProto: return "protocol";
    case Kind::kNProto: return "n_proto";
    case Kind::kVlanTpid: return "vlan_tpid";
    case Kind::kCvlanTpid: return "cvlan_tpid";
    case Kind::kField: {
      std::string n(ir::field_info(static_cast<ir::Field>(index)).name);
      return word ? n + "[" + std::to_string(word) + "]" : n;
    }
    case Kind::kMpls: return "mpls" + std::to_string(index + 1);
    case Kind::kIngressIfindex: return "indev";
  }
  return "?";
}

MatchTerms match_terms(const ir::Match& match, const PlannedRule& planned) {
  using K = Component::Kind;
  TermSet t;
  uint64_t need = kPresentEthernet;  // a runt frame is never classified
  if (planned.protocol != ir::kEthPAll)
    t.add({K::kOuterProto}, 0xffff, le_of_host(planned.protocol, 2));
  if (planned.n_proto) t.add({K::kNProto}, 0xffff, le_of_host(*planned.n_proto, 2));
  // fl_set_key_vlan keys the TPIDs: the outer tag's is the protocol, the inner one's is a VLAN
  // vlan_ethtype. A tag the dissector did not read has TPID 0.
  if (is_vlan_tpid(planned.protocol)) {
    t.add({K::kVlanTpid}, 0xffff, le_of_host(planned.protocol, 2));
    if (const ir::MaskedValue* inner = match.get(ir::Field::kVlanEthType)) {
      const auto tpid = static_cast<uint16_t>(inner->value_u64(2));
      if (is_vlan_tpid(tpid)) t.add({K::kCvlanTpid}, 0xffff, le_of_host(tpid, 2));
    }
  }
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    const auto& mv = match.fields[i];
    if (!mv) continue;
    const auto field = static_cast<ir::Field>(i);
    const size_t width = ir::field_info(field).width;
    // Absent fields compare as zero, except addresses, which the kernel guards by addr_type.
    if (field == ir::Field::kIpv4Src || field == ir::Field::kIpv4Dst) need |= kPresentIpv4Addrs;
    if (field == ir::Field::kIpv6Src || field == ir::Field::kIpv6Dst) need |= kPresentIpv6Addrs;
    for (size_t offset = 0, word = 0; offset < width; offset += 8, ++word) {
      const size_t n = std::min<size_t>(8, width - offset);
      t.add({K::kField, static_cast<uint8_t>(i), static_cast<uint8_t>(word)},
            le_word(mv->mask, offset, n), le_word(mv->value, offset, n));
    }
  }
  for (const ir::MplsLseMatch& lse : match.mpls) {
    if (lse.depth < 1 || lse.depth > ir::kMaxMplsDepth) {
      t.never();
      continue;
    }
    uint32_t mask, value;
    lse_mask_value(lse, mask, value);
    need |= present_mpls_bit(lse.depth);
    t.add({K::kMpls, static_cast<uint8_t>(lse.depth - 1)}, le_of_host(mask, 4),
          le_of_host(value, 4));
  }
  if (match.indev) {
    if (planned.indev_ifindex) {
      t.add({K::kIngressIfindex}, 0xffffffff, *planned.indev_ifindex);
    } else {
      t.never();  // evaluated_match drops an unresolved indev; an offloaded rule never has one
    }
  }
  t.add({K::kPresent}, need, need);
  MatchTerms out = t.take();
  // Ports the frame lacks are zero here too.
  out.src_port = match.src_port_range;
  out.dst_port = match.dst_port_range;
  return out;
}

}  // namespace tc2xdp::plan
