// The flower keys of a rule, in an order tc accepts (prerequisites first) and forms that parse
// back to the same values.
#include <string>

#include "numbers.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc {

namespace {

using ir::Field;
using ir::MaskedValue;

std::string dec(uint64_t v) {
  return std::to_string(v);
}

class MatchPrinter {
 public:
  explicit MatchPrinter(const ir::Rule& r) : rule_(r), m_(r.match) {}
  std::string run();

 private:
  const MaskedValue* get(Field f) const { return m_.get(f); }
  uint64_t val(Field f) const { return get(f)->value_u64(ir::field_info(f).width); }
  uint64_t mask(Field f) const { return get(f)->mask_u64(ir::field_info(f).width); }
  void key(const std::string& name, const std::string& value) { out_ += " " + name + " " + value; }
  // VALUE or VALUE/MASK, each through `fmt`, the mask only when it is not `full`.
  template <typename FmtValue, typename FmtMask>
  void masked(Field f, uint64_t full, FmtValue fmt_value, FmtMask fmt_mask) {
    if (!get(f)) return;
    std::string s = fmt_value(val(f));
    if (mask(f) != full) s += "/" + fmt_mask(mask(f));
    key(std::string(ir::field_info(f).name), s);
  }
  void mac(Field f);
  void prefix(Field f, bool v6);
  void port(Field f, const std::optional<ir::PortRange>& range);
  void mpls();
  void ip_flags();
  void ct_state();

  const ir::Rule& rule_;
  const ir::Match& m_;
  std::string out_;
};

void MatchPrinter::mac(Field f) {
  const MaskedValue* mv = get(f);
  if (!mv) return;
  std::string s = format_mac(mv->value.data());
  const int bits = prefix_length(mv->mask.data(), 6);
  if (bits < 0)
    s += "/" + format_mac(mv->mask.data());
  else if (bits < 48)
    s += "/" + dec(bits);
  key(std::string(ir::field_info(f).name), s);
}

void MatchPrinter::prefix(Field f, bool v6) {
  const MaskedValue* mv = get(f);
  if (!mv) return;
  const size_t n = v6 ? 16 : 4;
  std::string s = v6 ? format_ipv6(mv->value.data()) : format_ipv4(mv->value.data());
  const int bits = prefix_length(mv->mask.data(), n);
  // tc has no syntax for a mask with holes; the dotted form at least says what it is.
  if (bits < 0)
    s += "/" + (v6 ? format_ipv6(mv->mask.data()) : format_ipv4(mv->mask.data()));
  else if (bits < static_cast<int>(n * 8))
    s += "/" + dec(bits);
  key(std::string(ir::field_info(f).name), s);
}

void MatchPrinter::port(Field f, const std::optional<ir::PortRange>& range) {
  const char* name = f == Field::kSrcPort ? "src_port" : "dst_port";
  if (range) key(name, dec(range->min) + "-" + dec(range->max));
  if (!get(f)) return;
  if (mask(f) == 0xffff)
    key(name, dec(val(f)));
  else
    key(name, dec(val(f)) + "/" + format_hex(mask(f)));
}

void MatchPrinter::mpls() {
  const auto& lses = m_.mpls;
  if (lses.empty()) return;
  const bool lse_form = m_.mpls_lse_syntax || lses.size() > 1 || lses.front().depth != 1;
  if (!lse_form) {
    const auto& top = lses.front();
    if (top.label) key("mpls_label", dec(*top.label));
    if (top.tc) key("mpls_tc", dec(*top.tc));
    if (top.bos) key("mpls_bos", dec(*top.bos));
    if (top.ttl) key("mpls_ttl", dec(*top.ttl));
    return;
  }
  out_ += " mpls";
  for (const auto& lse : lses) {
    out_ += " lse depth " + dec(lse.depth);
    if (lse.label) out_ += " label " + dec(*lse.label);
    if (lse.tc) out_ += " tc " + dec(*lse.tc);
    if (lse.bos) out_ += " bos " + dec(*lse.bos);
    if (lse.ttl) out_ += " ttl " + dec(*lse.ttl);
  }
}

void MatchPrinter::ip_flags() {
  if (!get(Field::kIpFlags) || !mask(Field::kIpFlags)) return;
  std::string s;
  for (auto [bit, name] :
       {std::pair{ir::kIpFlagIsFragment, "frag"}, std::pair{ir::kIpFlagFirstFrag, "firstfrag"}}) {
    if (!(mask(Field::kIpFlags) & bit)) continue;
    if (!s.empty()) s += "/";
    s += (val(Field::kIpFlags) & bit) ? name : std::string("no") + name;
  }
  key("ip_flags", s);
}

void MatchPrinter::ct_state() {
  if (!get(Field::kCtState) || !mask(Field::kCtState)) return;
  static constexpr std::pair<uint16_t, const char*> kNames[] = {
      {ir::kCtTracked, "trk"}, {ir::kCtNew, "new"},     {ir::kCtEstablished, "est"},
      {ir::kCtRelated, "rel"}, {ir::kCtInvalid, "inv"}, {ir::kCtReply, "rpl"},
  };
  std::string s;
  for (auto [flag, name] : kNames)
    if (mask(Field::kCtState) & flag)
      s += std::string((val(Field::kCtState) & flag) ? "+" : "-") + name;
  key("ct_state", s);
}

std::string ip_proto_name(uint64_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    case 115: return "l2tp";
    case 50: return "esp";
    case 51: return "ah";
  }
  return format_hex(p);  // tc reads ip_proto numbers as hex
}

std::string MatchPrinter::run() {
  const auto hex = [](uint64_t v) { return format_hex(v); };
  const auto num = [](uint64_t v) { return dec(v); };
  const auto ethertype = [](uint64_t v) { return ethertype_name(static_cast<uint16_t>(v)); };
  if (m_.indev) key("indev", *m_.indev);
  mac(Field::kDstMac);
  mac(Field::kSrcMac);
  if (get(Field::kVlanId)) key("vlan_id", dec(val(Field::kVlanId)));
  if (get(Field::kVlanPrio)) key("vlan_prio", dec(val(Field::kVlanPrio)));
  if (get(Field::kVlanEthType)) key("vlan_ethtype", ethertype(val(Field::kVlanEthType)));
  if (get(Field::kCvlanId)) key("cvlan_id", dec(val(Field::kCvlanId)));
  if (get(Field::kCvlanPrio)) key("cvlan_prio", dec(val(Field::kCvlanPrio)));
  if (get(Field::kCvlanEthType)) key("cvlan_ethtype", ethertype(val(Field::kCvlanEthType)));
  mpls();
  if (get(Field::kIpProto)) key("ip_proto", ip_proto_name(val(Field::kIpProto)));
  masked(Field::kIpTos, 0xff, hex, hex);
  masked(Field::kIpTtl, 0xff, num, hex);
  prefix(Field::kIpv4Src, false);
  prefix(Field::kIpv6Src, true);
  prefix(Field::kIpv4Dst, false);
  prefix(Field::kIpv6Dst, true);
  port(Field::kSrcPort, m_.src_port_range);
  port(Field::kDstPort, m_.dst_port_range);
  masked(Field::kTcpFlags, 0xfff, hex, hex);
  masked(Field::kIcmpType, 0xff, num, num);
  masked(Field::kIcmpCode, 0xff, num, num);
  prefix(Field::kArpSip, false);
  prefix(Field::kArpTip, false);
  if (get(Field::kArpOp)) {
    const uint64_t op = val(Field::kArpOp);
    std::string s = op == 1 ? "request" : op == 2 ? "reply" : dec(op);
    if (mask(Field::kArpOp) != 0xff) s += "/" + dec(mask(Field::kArpOp));
    key("arp_op", s);
  }
  mac(Field::kArpSha);
  mac(Field::kArpTha);
  ip_flags();
  if (get(Field::kEncKeyId)) key("enc_key_id", dec(val(Field::kEncKeyId)));
  prefix(Field::kEncIpv4Src, false);
  prefix(Field::kEncIpv6Src, true);
  prefix(Field::kEncIpv4Dst, false);
  prefix(Field::kEncIpv6Dst, true);
  if (get(Field::kEncDstPort)) key("enc_dst_port", dec(val(Field::kEncDstPort)));
  masked(Field::kEncTos, 0xff, hex, hex);
  masked(Field::kEncTtl, 0xff, num, hex);
  ct_state();
  masked(Field::kCtZone, 0xffff, num, hex);
  masked(Field::kCtMark, 0xffffffff, hex, hex);
  if (rule_.skip_sw) out_ += " skip_sw";
  if (rule_.skip_hw) out_ += " skip_hw";
  if (rule_.verbose) out_ += " verbose";
  if (rule_.classid) key("classid", format_classid(*rule_.classid));
  if (rule_.hw_tc) key("hw_tc", dec(*rule_.hw_tc));
  return out_.empty() ? out_ : out_.substr(1);
}

}  // namespace

std::string print_match(const ir::Rule& rule) {
  return MatchPrinter(rule).run();
}

}  // namespace tc2xdp::frontend::tc
