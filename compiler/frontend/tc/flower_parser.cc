// tc/f_flower.c's option loop, reimplemented over located tokens.
#include "flower_parser.h"

#include <algorithm>
#include <cstring>

#include "action_parser.h"
#include "numbers.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc {

namespace {

using ir::Field;
using ir::MaskedValue;

constexpr uint16_t kEthIp = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806, kEthRarp = 0x8035;
constexpr uint16_t kEth8021Q = 0x8100, kEth8021AD = 0x88a8;
constexpr uint16_t kEthMplsUc = 0x8847, kEthMplsMc = 0x8848;
constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoSctp = 132,
                  kProtoIcmpv6 = 58;
constexpr uint8_t kProtoUnset = 0xff;  // as tc: "no ip_proto seen yet"

bool is_vlan(uint16_t t) {
  return t == kEth8021Q || t == kEth8021AD;
}
bool is_ip(uint16_t t) {
  return t == kEthIp || t == kEthIpv6;
}
bool is_mpls(uint16_t t) {
  return t == kEthMplsUc || t == kEthMplsMc;
}
bool is_arp(uint16_t t) {
  return t == kEthArp || t == kEthRarp;
}
bool has_ports(uint8_t p) {
  return p == kProtoTcp || p == kProtoUdp || p == kProtoSctp;
}

struct CtFlagName {
  const char* name;
  uint16_t flag;
};
constexpr CtFlagName kCtFlags[] = {
    {"trk", ir::kCtTracked}, {"new", ir::kCtNew},     {"est", ir::kCtEstablished},
    {"rel", ir::kCtRelated}, {"inv", ir::kCtInvalid}, {"rpl", ir::kCtReply},
};

class FlowerParser {
 public:
  FlowerParser(TokenStream& ts, ir::Rule& rule)
      : ts_(ts), rule_(rule), tc_proto_(rule.protocol), eth_type_(rule.protocol) {}

  void run();

 private:
  using Handler = void (FlowerParser::*)(const Token& key);
  struct Key {
    const char* name;
    bool abbreviable;  // iproute2 compares with matches() rather than strcmp()
    Handler handler;
  };
  static const Key kKeys[];

  // Keys, in the order f_flower.c tries them (which decides what an abbreviation means).
  void classid(const Token& key);
  void hw_tc(const Token& key);
  void ip_flags(const Token& key);
  void verbose(const Token&) { rule_.verbose = true; }
  void skip_hw(const Token&) { rule_.skip_hw = true; }
  void skip_sw(const Token&) { rule_.skip_sw = true; }
  void ct_state(const Token& key);
  void ct_zone(const Token& key);
  void ct_mark(const Token& key);
  void indev(const Token& key);
  void vlan_id(const Token& key);
  void vlan_prio(const Token& key);
  void vlan_ethtype(const Token& key);
  void cvlan_id(const Token& key);
  void cvlan_prio(const Token& key);
  void cvlan_ethtype(const Token& key);
  void mpls(const Token& key);
  void mpls_label(const Token& key);
  void mpls_tc(const Token& key);
  void mpls_bos(const Token& key);
  void mpls_ttl(const Token& key);
  void dst_mac(const Token& key) { mac(key, Field::kDstMac); }
  void src_mac(const Token& key) { mac(key, Field::kSrcMac); }
  void ip_proto(const Token& key);
  void ip_tos(const Token& key) { tos_ttl(key, Field::kIpTos, true); }
  void ip_ttl(const Token& key) { tos_ttl(key, Field::kIpTtl, true); }
  void dst_ip(const Token& key) { ip_addr(key, Field::kIpv4Dst, Field::kIpv6Dst); }
  void src_ip(const Token& key) { ip_addr(key, Field::kIpv4Src, Field::kIpv6Src); }
  void dst_port(const Token& key) { port(key, Field::kDstPort, rule_.match.dst_port_range); }
  void src_port(const Token& key) { port(key, Field::kSrcPort, rule_.match.src_port_range); }
  void tcp_flags(const Token& key);
  void icmp_type(const Token& key) { icmp(key, Field::kIcmpType); }
  void icmp_code(const Token& key) { icmp(key, Field::kIcmpCode); }
  void arp_tip(const Token& key) { arp_ip(key, Field::kArpTip); }
  void arp_sip(const Token& key) { arp_ip(key, Field::kArpSip); }
  void arp_op(const Token& key);
  void arp_tha(const Token& key) { mac(key, Field::kArpTha); }
  void arp_sha(const Token& key) { mac(key, Field::kArpSha); }
  void enc_dst_ip(const Token& key) { enc_ip(key, Field::kEncIpv4Dst, Field::kEncIpv6Dst); }
  void enc_src_ip(const Token& key) { enc_ip(key, Field::kEncIpv4Src, Field::kEncIpv6Src); }
  void enc_key_id(const Token& key);
  void enc_dst_port(const Token& key);
  void enc_tos(const Token& key) { tos_ttl(key, Field::kEncTos, false); }
  void enc_ttl(const Token& key) { tos_ttl(key, Field::kEncTtl, false); }
  void action(const Token& key);
  void unsupported(const Token& key);

  // Shared value forms.
  void mac(const Token& key, Field f);
  void tos_ttl(const Token& key, Field f, bool needs_ip);
  void ip_addr(const Token& key, Field v4, Field v6);
  void enc_ip(const Token& key, Field v4, Field v6);
  void port(const Token& key, Field f, std::optional<ir::PortRange>& range);
  void icmp(const Token& key, Field f);
  void arp_ip(const Token& key, Field f);
  void masked_uint(const Token& key, Field f, int base, uint64_t max);
  uint64_t number(const Token& arg, std::string_view text, int base, uint64_t max,
                  const std::string& what);
  void set_u(Field f, uint64_t value, uint64_t mask);
  void set_prefix(Field f, const Prefix& p, size_t width);
  ir::MplsLseMatch& mpls_top(const Token& key);
  void require_ip(const Token& key);
  void require_mpls(const Token& key, bool new_format);

  TokenStream& ts_;
  ir::Rule& rule_;
  const uint16_t tc_proto_;
  uint16_t eth_type_;          // the ethertype later keys see: protocol, then (c)vlan_ethtype
  uint16_t vlan_ethtype_ = 0;  // 0 until vlan_ethtype is given
  uint8_t ip_proto_ = kProtoUnset;
  bool mpls_old_ = false, mpls_new_ = false;
  uint8_t ip_flags_value_ = 0, ip_flags_mask_ = 0;
};

const FlowerParser::Key FlowerParser::kKeys[] = {
    {"classid", true, &FlowerParser::classid},
    {"flowid", true, &FlowerParser::classid},
    {"hw_tc", true, &FlowerParser::hw_tc},
    {"ip_flags", true, &FlowerParser::ip_flags},
    {"l2_miss", false, &FlowerParser::unsupported},
    {"verbose", true, &FlowerParser::verbose},
    {"skip_hw", true, &FlowerParser::skip_hw},
    {"skip_sw", true, &FlowerParser::skip_sw},
    {"ct_state", true, &FlowerParser::ct_state},
    {"ct_zone", true, &FlowerParser::ct_zone},
    {"ct_mark", true, &FlowerParser::ct_mark},
    {"ct_label", true, &FlowerParser::unsupported},
    {"indev", true, &FlowerParser::indev},
    {"num_of_vlans", false, &FlowerParser::unsupported},
    {"vlan_id", true, &FlowerParser::vlan_id},
    {"vlan_prio", true, &FlowerParser::vlan_prio},
    {"vlan_ethtype", true, &FlowerParser::vlan_ethtype},
    {"cvlan_id", true, &FlowerParser::cvlan_id},
    {"cvlan_prio", true, &FlowerParser::cvlan_prio},
    {"cvlan_ethtype", true, &FlowerParser::cvlan_ethtype},
    {"mpls", true, &FlowerParser::mpls},
    {"mpls_label", true, &FlowerParser::mpls_label},
    {"mpls_tc", true, &FlowerParser::mpls_tc},
    {"mpls_bos", true, &FlowerParser::mpls_bos},
    {"mpls_ttl", true, &FlowerParser::mpls_ttl},
    {"dst_mac", true, &FlowerParser::dst_mac},
    {"src_mac", true, &FlowerParser::src_mac},
    {"ip_proto", true, &FlowerParser::ip_proto},
    {"ip_tos", true, &FlowerParser::ip_tos},
    {"ip_ttl", true, &FlowerParser::ip_ttl},
    {"dst_ip", true, &FlowerParser::dst_ip},
    {"src_ip", true, &FlowerParser::src_ip},
    {"dst_port", true, &FlowerParser::dst_port},
    {"src_port", true, &FlowerParser::src_port},
    {"tcp_flags", true, &FlowerParser::tcp_flags},
    {"type", true, &FlowerParser::icmp_type},
    {"code", true, &FlowerParser::icmp_code},
    {"l2tpv3_sid", false, &FlowerParser::unsupported},
    {"spi", false, &FlowerParser::unsupported},
    {"arp_tip", true, &FlowerParser::arp_tip},
    {"arp_sip", true, &FlowerParser::arp_sip},
    {"arp_op", true, &FlowerParser::arp_op},
    {"arp_tha", true, &FlowerParser::arp_tha},
    {"arp_sha", true, &FlowerParser::arp_sha},
    {"pppoe_sid", false, &FlowerParser::unsupported},
    {"ppp_proto", false, &FlowerParser::unsupported},
    {"enc_dst_ip", true, &FlowerParser::enc_dst_ip},
    {"enc_src_ip", true, &FlowerParser::enc_src_ip},
    {"enc_key_id", true, &FlowerParser::enc_key_id},
    {"enc_dst_port", true, &FlowerParser::enc_dst_port},
    {"enc_tos", true, &FlowerParser::enc_tos},
    {"enc_ttl", true, &FlowerParser::enc_ttl},
    {"geneve_opts", true, &FlowerParser::unsupported},
    {"vxlan_opts", true, &FlowerParser::unsupported},
    {"erspan_opts", true, &FlowerParser::unsupported},
    {"gtp_opts", false, &FlowerParser::unsupported},
    {"pfcp_opts", false, &FlowerParser::unsupported},
    {"enc_flags", false, &FlowerParser::unsupported},
    {"action", true, &FlowerParser::action},
    {"cfm", false, &FlowerParser::unsupported},
};

void FlowerParser::run() {
  while (!ts_.at_end()) {
    const Token& key = ts_.next();
    const Key* found = nullptr;
    for (const Key& k : kKeys) {
      if (k.abbreviable ? matches(key.text, k.name) : key.text == k.name) {
        found = &k;
        break;
      }
    }
    if (!found)
      ts_.fail(key, "unknown flower key '" + key.text + "'",
               "tc-flower(8) lists the match keys; actions start with 'action'");
    (this->*found->handler)(key);
  }
  if (rule_.match.src_port_range && rule_.match.has(Field::kSrcPort))
    ts_.fail_at(ts_.end_location(), "src_port is given both as a range and as a port", "src_port",
                "keep one of the two forms");
  if (rule_.match.dst_port_range && rule_.match.has(Field::kDstPort))
    ts_.fail_at(ts_.end_location(), "dst_port is given both as a range and as a port", "dst_port",
                "keep one of the two forms");
}

uint64_t FlowerParser::number(const Token& arg, std::string_view text, int base, uint64_t max,
                              const std::string& what) {
  auto v = parse_unsigned(text, base, max);
  if (!v) {
    const char* form = base == 16   ? "a hexadecimal number"
                       : base == 10 ? "a decimal number"
                                    : "a number";
    ts_.fail(arg, "invalid " + what + " '" + std::string(text) + "'",
             "expected " + std::string(form) + " from 0 to " + std::to_string(max));
  }
  return *v;
}

void FlowerParser::set_u(Field f, uint64_t value, uint64_t mask) {
  const auto& info = ir::field_info(f);
  rule_.match.set(f, MaskedValue::from_u64(info.width, value & mask, mask));
}

void FlowerParser::set_prefix(Field f, const Prefix& p, size_t width) {
  MaskedValue mv;
  std::copy_n(p.addr.begin(), width, mv.value.begin());
  prefix_mask(mv.mask.data(), width, p.bits);
  mv.canonicalize();
  rule_.match.set(f, mv);
}

void FlowerParser::masked_uint(const Token& key, Field f, int base, uint64_t max) {
  const Token& arg = ts_.argument(key, "VALUE[/MASK]");
  const Slash s = split_slash(arg.text);
  const uint64_t value = number(arg, s.value, base, max, key.text);
  const uint64_t mask = s.has_mask ? number(arg, s.mask, base, max, key.text + " mask") : max;
  set_u(f, value, mask);
}

void FlowerParser::classid(const Token& key) {
  const Token& arg = ts_.argument(key, "CLASSID");
  auto id = parse_classid(arg.text);
  if (!id)
    ts_.fail(arg, "invalid classid '" + arg.text + "'", "write MAJOR:MINOR in hex, e.g. 1:10");
  rule_.classid = *id;
}

void FlowerParser::hw_tc(const Token& key) {
  const Token& arg = ts_.argument(key, "TC");
  auto tc = parse_unsigned(arg.text, 0, 15);  // TC_QOPT_MAX_QUEUE
  if (!tc) ts_.fail(arg, "invalid hw_tc '" + arg.text + "'", "a traffic class from 0 to 15");
  rule_.hw_tc = static_cast<uint8_t>(*tc);
}

void FlowerParser::ip_flags(const Token& key) {
  const Token& arg = ts_.argument(key, "FLAGS");
  std::string_view rest = arg.text;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    std::string_view flag = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (flag.empty()) continue;  // strtok skips empty pieces
    const bool no = flag.substr(0, 2) == "no";
    if (no) flag.remove_prefix(2);
    uint8_t bit = 0;
    if (flag == "frag")
      bit = ir::kIpFlagIsFragment;
    else if (flag == "firstfrag")
      bit = ir::kIpFlagFirstFrag;
    else
      ts_.fail(arg, "invalid ip_flags '" + arg.text + "'",
               "combine frag, nofrag, firstfrag and nofirstfrag with '/'");
    ip_flags_value_ = no ? (ip_flags_value_ & ~bit) : (ip_flags_value_ | bit);
    ip_flags_mask_ |= bit;
  }
  if (!ip_flags_mask_)
    ts_.fail(arg, "empty ip_flags", "combine frag, nofrag, firstfrag and nofirstfrag with '/'");
  set_u(Field::kIpFlags, ip_flags_value_, ip_flags_mask_);
}

void FlowerParser::ct_state(const Token& key) {
  const Token& arg = ts_.argument(key, "STATE");
  std::string_view s = arg.text;
  uint16_t value = 0, mask = 0;
  while (!s.empty()) {
    const char sign = s[0];
    const CtFlagName* hit = nullptr;
    if (sign == '+' || sign == '-')
      for (const auto& f : kCtFlags)
        if (s.substr(1, std::strlen(f.name)) == f.name) hit = &f;
    if (!hit)
      ts_.fail(arg, "invalid ct_state '" + arg.text + "'",
               "combine +/- with trk, new, est, rel, inv, rpl, e.g. +trk+est");
    if (sign == '+') value |= hit->flag;
    mask |= hit->flag;
    s.remove_prefix(1 + std::strlen(hit->name));
  }
  set_u(Field::kCtState, value, mask);
}

void FlowerParser::ct_zone(const Token& key) {
  masked_uint(key, Field::kCtZone, 0, 0xffff);
}
void FlowerParser::ct_mark(const Token& key) {
  masked_uint(key, Field::kCtMark, 0, 0xffffffff);
}

void FlowerParser::indev(const Token& key) {
  const Token& arg = ts_.argument(key, "DEV");
  const std::string& n = arg.text;
  const bool bad = n.empty() || n.size() >= 16 || n == "." || n == ".." ||
                   n.find_first_of("/ \t\n:") != std::string::npos;
  if (bad) ts_.fail(arg, "invalid indev '" + n + "'", "an interface name of at most 15 characters");
  rule_.match.indev = n;
}

void FlowerParser::vlan_id(const Token& key) {
  const Token& arg = ts_.argument(key, "VID");
  if (!is_vlan(tc_proto_))
    ts_.fail(key, "vlan_id needs protocol 802.1q or 802.1ad",
             "use 'protocol 802.1q' for tagged traffic");
  set_u(Field::kVlanId, number(arg, arg.text, 10, 0xfff, "vlan_id"), 0xfff);
}

void FlowerParser::vlan_prio(const Token& key) {
  const Token& arg = ts_.argument(key, "PRIORITY");
  if (!is_vlan(tc_proto_))
    ts_.fail(key, "vlan_prio needs protocol 802.1q or 802.1ad",
             "use 'protocol 802.1q' for tagged traffic");
  set_u(Field::kVlanPrio, number(arg, arg.text, 10, 7, "vlan_prio"), 7);
}

void FlowerParser::vlan_ethtype(const Token& key) {
  const Token& arg = ts_.argument(key, "ETHTYPE");
  if (!is_vlan(eth_type_))
    ts_.fail(key, "vlan_ethtype needs protocol 802.1q or 802.1ad",
             "use 'protocol 802.1q' for tagged traffic");
  auto t = parse_ethertype(arg.text);
  if (!t)
    ts_.fail(arg, "invalid vlan_ethtype '" + arg.text + "'",
             "an ethertype name (ip, ipv6, 802.1q, ...) or number");
  set_u(Field::kVlanEthType, *t, 0xffff);
  vlan_ethtype_ = eth_type_ = *t;
}

void FlowerParser::cvlan_id(const Token& key) {
  const Token& arg = ts_.argument(key, "VID");
  if (!is_vlan(vlan_ethtype_))
    ts_.fail(key, "cvlan_id needs vlan_ethtype 802.1q or 802.1ad",
             "add 'vlan_ethtype 802.1q' before it");
  set_u(Field::kCvlanId, number(arg, arg.text, 10, 0xfff, "cvlan_id"), 0xfff);
}

void FlowerParser::cvlan_prio(const Token& key) {
  const Token& arg = ts_.argument(key, "PRIORITY");
  if (!is_vlan(vlan_ethtype_))
    ts_.fail(key, "cvlan_prio needs vlan_ethtype 802.1q or 802.1ad",
             "add 'vlan_ethtype 802.1q' before it");
  set_u(Field::kCvlanPrio, number(arg, arg.text, 10, 7, "cvlan_prio"), 7);
}

void FlowerParser::cvlan_ethtype(const Token& key) {
  const Token& arg = ts_.argument(key, "ETHTYPE");
  if (!is_vlan(vlan_ethtype_))
    ts_.fail(key, "cvlan_ethtype needs vlan_ethtype 802.1q or 802.1ad",
             "add 'vlan_ethtype 802.1q' before it");
  auto t = parse_ethertype(arg.text);
  if (!t)
    ts_.fail(arg, "invalid cvlan_ethtype '" + arg.text + "'",
             "an ethertype name (ip, ipv6, ...) or number");
  set_u(Field::kCvlanEthType, *t, 0xffff);
  eth_type_ = *t;
}

void FlowerParser::require_mpls(const Token& key, bool new_format) {
  if (!is_mpls(eth_type_))
    ts_.fail(key, key.text + " needs protocol mpls_uc or mpls_mc",
             "use 'protocol mpls_uc' (or 'vlan_ethtype mpls_uc' for tagged traffic)");
  if (new_format ? mpls_old_ : mpls_new_)
    ts_.fail(key, "'mpls lse' and mpls_label/mpls_tc/mpls_bos/mpls_ttl cannot be mixed",
             "describe the top label either way, not both");
  (new_format ? mpls_new_ : mpls_old_) = true;
  rule_.match.mpls_lse_syntax = new_format;
}

ir::MplsLseMatch& FlowerParser::mpls_top(const Token& key) {
  require_mpls(key, false);
  auto& lses = rule_.match.mpls;
  if (lses.empty()) lses.push_back({});
  return lses.front();
}

void FlowerParser::mpls_label(const Token& key) {
  const Token& arg = ts_.argument(key, "LABEL");
  auto& top = mpls_top(key);
  top.label = static_cast<uint32_t>(number(arg, arg.text, 10, 0xfffff, "mpls_label"));
}
void FlowerParser::mpls_tc(const Token& key) {
  const Token& arg = ts_.argument(key, "TC");
  auto& top = mpls_top(key);
  top.tc = static_cast<uint8_t>(number(arg, arg.text, 10, 7, "mpls_tc"));
}
void FlowerParser::mpls_bos(const Token& key) {
  const Token& arg = ts_.argument(key, "BOS");
  auto& top = mpls_top(key);
  top.bos = static_cast<uint8_t>(number(arg, arg.text, 10, 1, "mpls_bos"));
}
void FlowerParser::mpls_ttl(const Token& key) {
  const Token& arg = ts_.argument(key, "TTL");
  auto& top = mpls_top(key);
  top.ttl = static_cast<uint8_t>(number(arg, arg.text, 10, 255, "mpls_ttl"));
}

void FlowerParser::mpls(const Token& key) {
  if (ts_.at_end()) ts_.argument(key, "'lse depth N ...'");
  require_mpls(key, true);
  bool any = false;
  while (ts_.peek_matches("lse")) {
    const Token& lse_word = ts_.next();
    if (ts_.at_end()) ts_.argument(lse_word, "'depth N'");
    ir::MplsLseMatch lse;
    lse.depth = 0;
    while (!ts_.at_end()) {
      const std::string& w = ts_.peek().text;
      if (matches(w, "depth")) {
        const Token& k = ts_.next();
        const Token& a = ts_.argument(k, "DEPTH");
        lse.depth = static_cast<uint8_t>(number(a, a.text, 10, 255, "depth"));
        if (lse.depth < 1 || lse.depth > ir::kMaxMplsDepth)
          ts_.fail(a, "invalid MPLS depth '" + a.text + "'",
                   "depth counts labels from 1 (the top) to " + std::to_string(ir::kMaxMplsDepth));
      } else if (matches(w, "label")) {
        const Token& k = ts_.next();
        const Token& a = ts_.argument(k, "LABEL");
        lse.label = static_cast<uint32_t>(number(a, a.text, 10, 0xfffff, "label"));
      } else if (matches(w, "tc")) {
        const Token& k = ts_.next();
        const Token& a = ts_.argument(k, "TC");
        lse.tc = static_cast<uint8_t>(number(a, a.text, 10, 7, "tc"));
      } else if (matches(w, "bos")) {
        const Token& k = ts_.next();
        const Token& a = ts_.argument(k, "BOS");
        lse.bos = static_cast<uint8_t>(number(a, a.text, 10, 1, "bos"));
      } else if (matches(w, "ttl")) {
        const Token& k = ts_.next();
        const Token& a = ts_.argument(k, "TTL");
        lse.ttl = static_cast<uint8_t>(number(a, a.text, 10, 255, "ttl"));
      } else {
        break;
      }
    }
    if (lse.depth == 0)
      ts_.fail(lse_word, "'lse' needs 'depth N'", "write 'lse depth 1 label 100'");
    auto& lses = rule_.match.mpls;
    auto pos = std::lower_bound(lses.begin(), lses.end(), lse.depth,
                                [](const auto& e, uint8_t d) { return e.depth < d; });
    if (pos != lses.end() && pos->depth == lse.depth)
      ts_.fail(lse_word, "MPLS depth " + std::to_string(lse.depth) + " is given twice",
               "merge the two 'lse depth " + std::to_string(lse.depth) + "' clauses");
    lses.insert(pos, lse);
    any = true;
  }
  if (!any) ts_.fail(key, "'mpls' needs 'lse depth N ...'", "write 'mpls lse depth 1 label 100'");
}

void FlowerParser::mac(const Token& key, Field f) {
  const Token& arg = ts_.argument(key, "LLADDR[/MASK]");
  const Slash s = split_slash(arg.text);
  auto addr = parse_mac(s.value);
  if (!addr)
    ts_.fail(arg, "invalid MAC address '" + std::string(s.value) + "'",
             "write six hex bytes like 00:11:22:33:44:55");
  Mac mask;
  mask.fill(0xff);
  if (s.has_mask) {
    if (auto bits = parse_unsigned(s.mask, 10, 48)) {
      prefix_mask(mask.data(), mask.size(), static_cast<int>(*bits));
    } else if (auto m = parse_mac(s.mask)) {
      mask = *m;
    } else {
      ts_.fail(arg, "invalid MAC mask '" + std::string(s.mask) + "'",
               "a prefix length from 0 to 48 or a MAC-style mask");
    }
  }
  MaskedValue mv;
  std::copy(addr->begin(), addr->end(), mv.value.begin());
  std::copy(mask.begin(), mask.end(), mv.mask.begin());
  mv.canonicalize();
  rule_.match.set(f, mv);
}

void FlowerParser::require_ip(const Token& key) {
  if (!is_ip(eth_type_))
    ts_.fail(key, key.text + " needs protocol ip or ipv6",
             "use 'protocol ip' or 'protocol ipv6' (or 'vlan_ethtype ip' for tagged traffic)");
}

void FlowerParser::ip_proto(const Token& key) {
  const Token& arg = ts_.argument(key, "IP-PROTO");
  require_ip(key);
  const std::string& w = arg.text;
  uint8_t proto;
  uint16_t needs_eth = 0;  // tc ties the names icmp and icmpv6 to their IP version
  if (matches(w, "tcp"))
    proto = kProtoTcp;
  else if (matches(w, "udp"))
    proto = kProtoUdp;
  else if (matches(w, "sctp"))
    proto = kProtoSctp;
  else if (matches(w, "icmp"))
    proto = kProtoIcmp, needs_eth = kEthIp;
  else if (matches(w, "icmpv6"))
    proto = kProtoIcmpv6, needs_eth = kEthIpv6;
  else if (w == "l2tp")
    proto = 115;
  else if (w == "esp")
    proto = 50;
  else if (w == "ah")
    proto = 51;
  else
    proto = static_cast<uint8_t>(number(arg, w, 16, 0xff, "ip_proto (hex)"));
  if (needs_eth && needs_eth != eth_type_)
    ts_.fail(arg, "ip_proto " + w + " does not fit protocol " + ethertype_name(eth_type_),
             "icmp goes with protocol ip, icmpv6 with protocol ipv6");
  ip_proto_ = proto;
  set_u(Field::kIpProto, proto, 0xff);
}

void FlowerParser::tos_ttl(const Token& key, Field f, bool needs_ip) {
  const Token& arg = ts_.argument(key, "VALUE[/MASK]");
  if (needs_ip) require_ip(key);
  const Slash s = split_slash(arg.text);
  // tc reads the value as decimal, else hex, and the mask always as hex.
  auto value = parse_unsigned(s.value, 10, 0xff);
  if (!value) value = number(arg, s.value, 16, 0xff, key.text);
  const uint64_t mask = s.has_mask ? number(arg, s.mask, 16, 0xff, key.text + " mask (hex)") : 0xff;
  set_u(f, *value, mask);
}

void FlowerParser::ip_addr(const Token& key, Field v4, Field v6) {
  const Token& arg = ts_.argument(key, "PREFIX");
  require_ip(key);
  const bool want6 = eth_type_ == kEthIpv6;
  auto p = parse_prefix(arg.text, want6 ? 6 : 4);
  if (!p) {
    if (parse_prefix(arg.text, want6 ? 4 : 6))
      ts_.fail(arg,
               std::string(want6 ? "IPv4" : "IPv6") + " address '" + arg.text + "' in a protocol " +
                   ethertype_name(eth_type_) + " filter",
               "use an address of the filter's family, or change the protocol");
    ts_.fail(arg, "invalid address or prefix '" + arg.text + "'",
             want6 ? "write an IPv6 address with an optional /LEN (0-128)"
                   : "write an IPv4 address with an optional /LEN (0-32) or /MASK");
  }
  set_prefix(want6 ? v6 : v4, *p, want6 ? 16 : 4);
}

void FlowerParser::enc_ip(const Token& key, Field v4, Field v6) {
  const Token& arg = ts_.argument(key, "ADDRESS");
  auto p = parse_prefix(arg.text, 0);
  if (!p)
    ts_.fail(arg, "invalid address or prefix '" + arg.text + "'",
             "write an IPv4 or IPv6 address with an optional /LEN");
  set_prefix(p->ipv6 ? v6 : v4, *p, p->ipv6 ? 16 : 4);
}

void FlowerParser::port(const Token& key, Field f, std::optional<ir::PortRange>& range) {
  const Token& arg = ts_.argument(key, "PORT");
  if (!has_ports(ip_proto_))
    ts_.fail(key, key.text + " needs ip_proto tcp, udp or sctp",
             "put 'ip_proto tcp' (or udp, sctp) before " + key.text);
  const std::string& w = arg.text;
  const size_t dash = w.find('-');
  if (dash != std::string::npos) {
    auto lo = parse_unsigned(std::string_view(w).substr(0, dash), 10, 0xffff);
    auto hi = parse_unsigned(std::string_view(w).substr(dash + 1), 10, 0xffff);
    if (!lo || !hi)
      ts_.fail(arg, "invalid port range '" + w + "'",
               "write MIN-MAX with decimal ports, e.g. 1000-2000");
    if (*hi <= *lo)
      ts_.fail(arg, "port range '" + w + "' has max not greater than min",
               "the range's max must be greater than its min; use a single port for one value");
    range = ir::PortRange{static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
    rule_.match.clear(f);
    return;
  }
  if (auto exact = parse_unsigned(w, 10, 0xffff)) {
    set_u(f, *exact, 0xffff);
  } else if (w.find('/') != std::string::npos) {
    const Slash s = split_slash(w);
    const uint64_t value = number(arg, s.value, 0, 0xffff, key.text);
    set_u(f, value, number(arg, s.mask, 0, 0xffff, key.text + " mask"));
  } else {
    ts_.fail(arg, "invalid port '" + w + "'", "a port 0-65535, PORT/MASK or MIN-MAX");
  }
  range.reset();
}

void FlowerParser::tcp_flags(const Token& key) {
  const Token& arg = ts_.argument(key, "FLAGS[/MASK]");
  if (ip_proto_ != kProtoTcp)
    ts_.fail(key, "tcp_flags needs ip_proto tcp", "put 'ip_proto tcp' before tcp_flags");
  const Slash s = split_slash(arg.text);
  const uint64_t value = number(arg, s.value, 16, 0xfff, "tcp_flags (hex, 12 bits)");
  const uint64_t mask =
      s.has_mask ? number(arg, s.mask, 16, 0xfff, "tcp_flags mask (hex, 12 bits)") : 0xfff;
  set_u(Field::kTcpFlags, value, mask);
}

void FlowerParser::icmp(const Token& key, Field f) {
  const Token& arg = ts_.argument(key, "VALUE[/MASK]");
  const bool ok = (eth_type_ == kEthIp && ip_proto_ == kProtoIcmp) ||
                  (eth_type_ == kEthIpv6 && ip_proto_ == kProtoIcmpv6);
  if (!ok)
    ts_.fail(key,
             "ICMP " + key.text + " needs ip_proto icmp (protocol ip) or icmpv6 (protocol ipv6)",
             "put 'ip_proto icmp' or 'ip_proto icmpv6' before " + key.text);
  const Slash s = split_slash(arg.text);
  const uint64_t value = number(arg, s.value, 10, 0xff, "ICMP " + key.text);
  set_u(f, value, s.has_mask ? number(arg, s.mask, 10, 0xff, "ICMP " + key.text + " mask") : 0xff);
}

void FlowerParser::arp_ip(const Token& key, Field f) {
  const Token& arg = ts_.argument(key, "PREFIX");
  if (!is_arp(eth_type_))
    ts_.fail(key, key.text + " needs protocol arp or rarp", "use 'protocol arp'");
  auto p = parse_prefix(arg.text, 4);
  if (!p)
    ts_.fail(arg, "invalid IPv4 prefix '" + arg.text + "'",
             "write an IPv4 address with an optional /LEN");
  set_prefix(f, *p, 4);
}

void FlowerParser::arp_op(const Token& key) {
  const Token& arg = ts_.argument(key, "OP");
  if (!is_arp(eth_type_)) ts_.fail(key, "arp_op needs protocol arp or rarp", "use 'protocol arp'");
  const Slash s = split_slash(arg.text);
  uint64_t op;
  if (s.value == "request")
    op = 1;
  else if (s.value == "reply")
    op = 2;
  else
    op = number(arg, s.value, 10, 0xff, "arp_op");
  if (op > 2) ts_.fail(arg, "invalid arp_op '" + arg.text + "'", "request, reply, 1 or 2");
  set_u(Field::kArpOp, op, s.has_mask ? number(arg, s.mask, 10, 0xff, "arp_op mask") : 0xff);
}

void FlowerParser::enc_key_id(const Token& key) {
  const Token& arg = ts_.argument(key, "KEY-ID");
  set_u(Field::kEncKeyId, number(arg, arg.text, 10, 0xffffffff, "enc_key_id"), 0xffffffff);
}

void FlowerParser::enc_dst_port(const Token& key) {
  const Token& arg = ts_.argument(key, "PORT");
  set_u(Field::kEncDstPort, number(arg, arg.text, 10, 0xffff, "enc_dst_port"), 0xffff);
}

void FlowerParser::action(const Token& key) {
  if (ts_.at_end()) ts_.argument(key, "action");
  parse_action_list(ts_, rule_.actions);
}

void FlowerParser::unsupported(const Token& key) {
  ts_.fail(key, "flower key '" + key.text + "' is not supported by tc2xdp",
           "remove it, or keep this filter in tc");
}

}  // namespace

void parse_flower(TokenStream& ts, ir::Rule& rule) {
  FlowerParser(ts, rule).run();
}

}  // namespace tc2xdp::frontend::tc
