// Match evaluation: cls_flower's masked compare of the rule's key with the dissected frame
// (fl_set_masked_key + fl_lookup), plus the keys fl_set_key adds implicitly.
//
// The kernel's skb key starts zeroed and the dissector fills only what the frame carries, so a
// field the frame lacks compares as zero: `ip_proto tcp src_port 0` matches a TCP fragment. The
// exceptions are keys that are guarded by something the dissector sets only when it read the
// header: IPv4/IPv6 addresses (control.addr_type), tunnel addresses (enc_control.addr_type), the
// MPLS label stack (a used-LSE bit per depth) and the VLAN TPIDs.
#include <cstdio>

#include "bytes.h"
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference {

namespace {

using ir::Field;

bool masked_equal(const ir::MaskedValue& want, const ir::Bytes16& have, uint8_t width) {
  for (uint8_t i = 0; i < width; ++i)
    if ((have[i] & want.mask[i]) != (want.value[i] & want.mask[i])) return false;
  return true;
}

// Fields whose presence the kernel keys through an addr_type (or that XDP never sees filled).
bool needs_presence(Field f) {
  switch (f) {
    case Field::kIpv4Src:
    case Field::kIpv4Dst:
    case Field::kIpv6Src:
    case Field::kIpv6Dst:
    case Field::kEncIpv4Src:
    case Field::kEncIpv4Dst:
    case Field::kEncIpv6Src:
    case Field::kEncIpv6Dst: return true;
    default: return false;
  }
}

bool mpls_matches(const std::vector<ir::MplsLseMatch>& want, const FlowKey& key) {
  for (const auto& m : want) {
    if (m.depth < 1 || m.depth > key.mpls.size()) return false;  // LSE not in the frame
    const auto& lse = key.mpls[m.depth - 1];
    if (m.label && *m.label != lse.label) return false;
    if (m.tc && *m.tc != lse.tc) return false;
    if (m.bos && *m.bos != lse.bos) return false;
    if (m.ttl && *m.ttl != lse.ttl) return false;
  }
  return true;
}

bool in_range(const std::optional<ir::PortRange>& range, std::optional<uint16_t> port) {
  if (!range) return true;
  const uint16_t p = port.value_or(0);  // not dissected: zero, as in the skb key
  return range->min <= p && p <= range->max;
}

}  // namespace

bool matches(const ir::Rule& rule, const ir::Match& match, const FlowKey& key,
             const Options& options) {
  if (key.runt) return false;
  // cls_api's check of the filter's protocol against skb_protocol (the outer TPID when tagged).
  if (rule.protocol != ir::kEthPAll && rule.protocol != key.outer_protocol) return false;
  // n_proto, and the TPIDs fl_set_key_vlan keys for VLAN protocols.
  if (auto eth = ir::effective_eth_type(rule); eth && *eth != key.n_proto) return false;
  if (detail::is_vlan_tpid(rule.protocol)) {
    if (key.vlan_tpid != rule.protocol) return false;
    if (const auto* inner = match.get(Field::kVlanEthType)) {
      const auto t = static_cast<uint16_t>(inner->value_u64(2));
      if (detail::is_vlan_tpid(t) && key.cvlan_tpid != t) return false;
    }
  }
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    const auto& want = match.fields[i];
    if (!want) continue;
    const Field f = static_cast<Field>(i);
    const auto& have = key.fields[i];
    if (!have && needs_presence(f)) return false;
    if (!masked_equal(*want, have.value_or(ir::Bytes16{}), ir::field_info(f).width)) return false;
  }
  if (!in_range(match.src_port_range, key.src_port)) return false;
  if (!in_range(match.dst_port_range, key.dst_port)) return false;
  if (!mpls_matches(match.mpls, key)) return false;
  if (match.indev) {
    // tc refuses an indev it cannot resolve; here such a rule matches nothing.
    auto ifindex = options.resolve_device ? options.resolve_device(*match.indev) : std::nullopt;
    if (!ifindex || *ifindex != key.ingress_ifindex) return false;
  }
  return true;
}

bool matches(const ir::Rule& rule, const FlowKey& key, const Options& options) {
  if (options.evaluated_match) return matches(rule, options.evaluated_match(rule), key, options);
  return matches(rule, rule.match, key, options);
}

std::string describe(const FlowKey& key) {
  if (key.runt) return "runt frame (shorter than an Ethernet header)";
  char buf[96];
  snprintf(buf, sizeof buf, "protocol 0x%04x n_proto 0x%04x", key.outer_protocol, key.n_proto);
  std::string s = buf;
  auto u64 = [&](Field f) -> std::optional<uint64_t> {
    const auto& v = key.fields[static_cast<size_t>(f)];
    if (!v) return std::nullopt;
    uint64_t x = 0;
    for (int i = 0; i < ir::field_info(f).width && i < 8; ++i) x = x << 8 | (*v)[i];
    return x;
  };
  if (key.vlan_tpid) s += " vlan " + std::to_string(*u64(Field::kVlanId));
  if (key.cvlan_tpid) s += " cvlan " + std::to_string(*u64(Field::kCvlanId));
  if (!key.mpls.empty()) s += " mpls x" + std::to_string(key.mpls.size());
  if (auto p = u64(Field::kIpProto)) s += " ip_proto " + std::to_string(*p);
  if (auto fl = u64(Field::kIpFlags); fl && *fl) s += " ip_flags " + std::to_string(*fl);
  if (key.src_port)
    s += " ports " + std::to_string(*key.src_port) + ">" + std::to_string(*key.dst_port);
  return s;
}

}  // namespace tc2xdp::reference
