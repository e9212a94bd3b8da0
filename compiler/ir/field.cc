#include "tc2xdp/ir/field.h"

#include <array>

namespace tc2xdp::ir {

namespace {
constexpr uint64_t kAll8 = 0xff, kAll16 = 0xffff, kAll32 = 0xffffffff, kAll48 = 0xffffffffffff;

// Indexed by Field; names are the tc flower keywords.
constexpr std::array<FieldInfo, kFieldCount> kCatalogue = {{
    {Field::kDstMac, "dst_mac", 6, Layer::kEth, kAll48},
    {Field::kSrcMac, "src_mac", 6, Layer::kEth, kAll48},
    {Field::kVlanId, "vlan_id", 2, Layer::kVlan, 0x0fff},
    {Field::kVlanPrio, "vlan_prio", 1, Layer::kVlan, 0x07},
    {Field::kVlanEthType, "vlan_ethtype", 2, Layer::kVlan, kAll16},
    {Field::kCvlanId, "cvlan_id", 2, Layer::kCvlan, 0x0fff},
    {Field::kCvlanPrio, "cvlan_prio", 1, Layer::kCvlan, 0x07},
    {Field::kCvlanEthType, "cvlan_ethtype", 2, Layer::kCvlan, kAll16},
    {Field::kIpProto, "ip_proto", 1, Layer::kIp, kAll8},
    {Field::kIpTos, "ip_tos", 1, Layer::kIp, kAll8},
    {Field::kIpTtl, "ip_ttl", 1, Layer::kIp, kAll8},
    {Field::kIpv4Src, "src_ip", 4, Layer::kIpv4, kAll32},
    {Field::kIpv4Dst, "dst_ip", 4, Layer::kIpv4, kAll32},
    {Field::kIpv6Src, "src_ip", 16, Layer::kIpv6, 0},
    {Field::kIpv6Dst, "dst_ip", 16, Layer::kIpv6, 0},
    {Field::kSrcPort, "src_port", 2, Layer::kL4, kAll16},
    {Field::kDstPort, "dst_port", 2, Layer::kL4, kAll16},
    {Field::kTcpFlags, "tcp_flags", 2, Layer::kL4, 0x0fff},
    {Field::kIcmpType, "type", 1, Layer::kIcmp, kAll8},
    {Field::kIcmpCode, "code", 1, Layer::kIcmp, kAll8},
    {Field::kArpSip, "arp_sip", 4, Layer::kArp, kAll32},
    {Field::kArpTip, "arp_tip", 4, Layer::kArp, kAll32},
    {Field::kArpOp, "arp_op", 1, Layer::kArp, kAll8},
    {Field::kArpSha, "arp_sha", 6, Layer::kArp, kAll48},
    {Field::kArpTha, "arp_tha", 6, Layer::kArp, kAll48},
    {Field::kIpFlags, "ip_flags", 1, Layer::kIp, kIpFlagIsFragment | kIpFlagFirstFrag},
    {Field::kEncKeyId, "enc_key_id", 4, Layer::kTunnel, kAll32},
    {Field::kEncIpv4Src, "enc_src_ip", 4, Layer::kTunnel, kAll32},
    {Field::kEncIpv4Dst, "enc_dst_ip", 4, Layer::kTunnel, kAll32},
    {Field::kEncIpv6Src, "enc_src_ip", 16, Layer::kTunnel, 0},
    {Field::kEncIpv6Dst, "enc_dst_ip", 16, Layer::kTunnel, 0},
    {Field::kEncDstPort, "enc_dst_port", 2, Layer::kTunnel, kAll16},
    {Field::kEncTos, "enc_tos", 1, Layer::kTunnel, kAll8},
    {Field::kEncTtl, "enc_ttl", 1, Layer::kTunnel, kAll8},
    {Field::kCtState, "ct_state", 2, Layer::kConntrack, 0x3f},
    {Field::kCtZone, "ct_zone", 2, Layer::kConntrack, kAll16},
    {Field::kCtMark, "ct_mark", 4, Layer::kConntrack, kAll32},
}};

constexpr bool catalogue_is_indexed_by_field() {
  for (size_t i = 0; i < kCatalogue.size(); ++i)
    if (static_cast<size_t>(kCatalogue[i].field) != i) return false;
  return true;
}
static_assert(catalogue_is_indexed_by_field());
}  // namespace

const FieldInfo& field_info(Field f) {
  return kCatalogue[static_cast<size_t>(f)];
}

std::optional<Field> field_by_name(std::string_view tc_keyword) {
  // src_ip/dst_ip/enc_*_ip are ambiguous between families; the IPv4 entry comes first.
  for (const auto& info : kCatalogue)
    if (info.name == tc_keyword) return info.field;
  return std::nullopt;
}

MaskedValue MaskedValue::from_u64(uint8_t width, uint64_t value, uint64_t mask) {
  MaskedValue mv;
  for (int i = width - 1; i >= 0; --i) {
    mv.value[i] = value & 0xff;
    mv.mask[i] = mask & 0xff;
    value >>= 8;
    mask >>= 8;
  }
  return mv;
}

static uint64_t read_be(const Bytes16& bytes, uint8_t width) {
  uint64_t v = 0;
  for (int i = 0; i < width && i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

uint64_t MaskedValue::value_u64(uint8_t width) const {
  return read_be(value, width);
}
uint64_t MaskedValue::mask_u64(uint8_t width) const {
  return read_be(mask, width);
}

void MaskedValue::canonicalize() {
  for (size_t i = 0; i < value.size(); ++i) value[i] &= mask[i];
}

bool MaskedValue::mask_is_zero() const {
  for (uint8_t b : mask)
    if (b) return false;
  return true;
}

}  // namespace tc2xdp::ir
