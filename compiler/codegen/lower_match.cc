#include "codegen/lower_match.h"

#include <algorithm>
#include <vector>

#include "codegen/verifier_hints.h"

namespace tc2xdp::codegen {

namespace {

class MismatchBuilder {
 public:
  MismatchBuilder(llvm::IRBuilderBase& b, const ParsedKey& key) : b_(b), key_(key) {}

  // (value & mask) ^ expected: zero iff the masked value is the expected one.
  void masked(llvm::Value* value, uint64_t mask, uint64_t expected, uint64_t all_ones) {
    if (!value) return never();
    value = private_copy(b_, value);
    if (mask != all_ones) value = b_.CreateAnd(value, b_.getInt64(mask));
    terms_.push_back(b_.CreateXor(value, b_.getInt64(expected & mask)));
  }
  // min <= value <= max for a host-order value: (d | (max - min - d)) has its sign bit set iff
  // d = value - min is negative or above the width (operands are 16 bits, so no overflow).
  void range(llvm::Value* value, uint64_t min, uint64_t max) {
    if (!value) return never();
    llvm::Value* d = b_.CreateSub(private_copy(b_, value), b_.getInt64(min));
    llvm::Value* over = b_.CreateSub(b_.getInt64(max - min), d);
    terms_.push_back(b_.CreateAnd(b_.CreateOr(d, over), b_.getInt64(uint64_t{1} << 63)));
  }
  void need(uint64_t bits) { need_ |= bits; }
  // A key the parser does not extract: the rule cannot match (the plan should prevent this).
  void never() { terms_.push_back(b_.getInt64(1)); }

  llvm::Value* build() {
    if (need_) masked(key_.present, need_, need_, ~uint64_t{0});
    if (terms_.empty()) return b_.getInt64(0);
    // A balanced OR tree keeps the dependency chains short.
    while (terms_.size() > 1) {
      std::vector<llvm::Value*> next;
      for (size_t i = 0; i + 1 < terms_.size(); i += 2)
        next.push_back(b_.CreateOr(terms_[i], terms_[i + 1]));
      if (terms_.size() % 2) next.push_back(terms_.back());
      terms_ = std::move(next);
    }
    return optimization_barrier(b_, terms_[0]);
  }

 private:
  llvm::IRBuilderBase& b_;
  const ParsedKey& key_;
  std::vector<llvm::Value*> terms_;
  uint64_t need_ = 0;
};

bool is_vlan_tpid(uint16_t t) {
  return t == 0x8100 || t == 0x88a8;
}

uint64_t ones(size_t bytes) {
  return bytes >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1;
}

// Host-order mask and value of one MPLS label stack entry match.
void lse_mask_value(const ir::MplsLseMatch& m, uint32_t& mask, uint32_t& value) {
  mask = value = 0;
  if (m.label) mask |= 0xfffff000u, value |= (*m.label & 0xfffffu) << 12;
  if (m.tc) mask |= 0x00000e00u, value |= (*m.tc & 7u) << 9;
  if (m.bos) mask |= 0x00000100u, value |= (*m.bos & 1u) << 8;
  if (m.ttl) mask |= 0x000000ffu, value |= *m.ttl;
}

}  // namespace

llvm::Value* lower_mismatch(llvm::IRBuilderBase& b, const ParsedKey& key, const ir::Match& match,
                            const plan::PlannedRule& planned) {
  MismatchBuilder m(b, key);
  m.need(kPresentEthernet);  // a runt frame is never classified
  if (planned.protocol != ir::kEthPAll)
    m.masked(key.outer_proto, 0xffff, le_of_host(planned.protocol, 2), 0xffff);
  if (planned.n_proto) m.masked(key.n_proto, 0xffff, le_of_host(*planned.n_proto, 2), 0xffff);
  // fl_set_key_vlan keys the TPIDs: the outer tag's is the protocol, the inner one's is a VLAN
  // vlan_ethtype. A tag the dissector did not read has TPID 0.
  if (is_vlan_tpid(planned.protocol)) {
    m.masked(key.vlan_tpid, 0xffff, le_of_host(planned.protocol, 2), 0xffff);
    if (const ir::MaskedValue* inner = match.get(ir::Field::kVlanEthType)) {
      const auto tpid = static_cast<uint16_t>(inner->value_u64(2));
      if (is_vlan_tpid(tpid)) m.masked(key.cvlan_tpid, 0xffff, le_of_host(tpid, 2), 0xffff);
    }
  }
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    const auto& mv = match.fields[i];
    if (!mv) continue;
    const auto field = static_cast<ir::Field>(i);
    const size_t width = ir::field_info(field).width;
    // Absent fields compare as zero, except addresses, which the kernel guards by addr_type.
    if (field == ir::Field::kIpv4Src || field == ir::Field::kIpv4Dst) m.need(kPresentIpv4Addrs);
    if (field == ir::Field::kIpv6Src || field == ir::Field::kIpv6Dst) m.need(kPresentIpv6Addrs);
    for (size_t offset = 0, word = 0; offset < width; offset += 8, ++word) {
      const size_t n = std::min<size_t>(8, width - offset);
      const uint64_t mask = le_word(mv->mask, offset, n);
      if (mask == 0) continue;
      m.masked(key.fields[i][word], mask, le_word(mv->value, offset, n), ones(n));
    }
  }
  // Ports the frame lacks are zero here too.
  if (match.src_port_range)
    m.range(key.src_port_host, match.src_port_range->min, match.src_port_range->max);
  if (match.dst_port_range)
    m.range(key.dst_port_host, match.dst_port_range->min, match.dst_port_range->max);
  for (const ir::MplsLseMatch& lse : match.mpls) {
    if (lse.depth < 1 || lse.depth > ir::kMaxMplsDepth) {
      m.never();
      continue;
    }
    uint32_t mask, value;
    lse_mask_value(lse, mask, value);
    m.need(present_mpls_bit(lse.depth));
    if (mask) m.masked(key.mpls[lse.depth - 1], le_of_host(mask, 4), le_of_host(value, 4), ones(4));
  }
  if (match.indev) {
    if (planned.indev_ifindex) {
      m.masked(key.ingress_ifindex, ones(4), *planned.indev_ifindex, ones(4));
    } else {
      m.never();  // evaluated_match drops an unresolved indev; an offloaded rule never has one
    }
  }
  return m.build();
}

}  // namespace tc2xdp::codegen
