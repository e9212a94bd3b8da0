// Seeded random tc flower rule sets for the differential tests: a tc batch file as an operator
// would write it, plus what each line means (its ir::Match and effect), so packets can be aimed at
// a rule or just past it (packet_gen.h).
//
//   gen::GenRuleSet set = gen::generate_rules(seed, {.profile = gen::Profile::kMedium});
//   frontend::tc::load_rules(set.text, "gen.tc", rule_set, diags);
//
// Every line is valid iproute2 flower syntax and the whole batch loads: equal prefs share their
// protocol and never hold two filters with the same mask and key; goto only climbs to higher
// chains.
#pragma once

#include <arpa/inet.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/gen_random.h"
#include "tc2xdp/ir/rule.h"

namespace tc2xdp::testing::gen {

enum class Profile : uint8_t {
  kSmall,       // 1-20 rules, every protocol and key, chains 0..3
  kMedium,      // 20-200 rules, the same mix
  kClassbench,  // 100-500 IPv4 5-tuple rules in chain 0, one pref each
};

inline const char* profile_name(Profile p) {
  switch (p) {
    case Profile::kSmall: return "small";
    case Profile::kMedium: return "medium";
    case Profile::kClassbench: return "classbench";
  }
  return "?";
}

struct RuleGenOptions {
  Profile profile = Profile::kSmall;
  size_t min_rules = 0;  // 0: the profile's range
  size_t max_rules = 0;
  uint32_t max_chain = 3;  // chains 0..max_chain (small, medium)
  bool punts = true;       // sometimes write rules the compiler punts (actions, ct/enc keys)
  // Police actions (small and medium profiles). Off, the sets are those of a generator without
  // police: the same random draws.
  bool police = true;
  std::string dev = "eth0";
};

// What a rule does when it matches, as far as the generator knows.
enum class Effect : uint8_t { kPass, kDrop, kContinue, kGotoChain, kRedirect, kPunt };

inline const char* effect_name(Effect e) {
  switch (e) {
    case Effect::kPass: return "pass";
    case Effect::kDrop: return "drop";
    case Effect::kContinue: return "continue";
    case Effect::kGotoChain: return "goto";
    case Effect::kRedirect: return "redirect";
    case Effect::kPunt: return "punt";
  }
  return "?";
}

struct GenRule {
  uint32_t chain = 0;
  uint32_t pref = 0;
  uint32_t handle = 0;  // what tc assigns: lowest free >= 1 in its (chain, pref)
  uint16_t protocol = ir::kEthPAll;
  ir::Match match;  // what the keys mean, canonical (values masked), as the front end parses them
  Effect effect = Effect::kPass;
  uint32_t goto_chain = 0;  // for kGotoChain
  bool punt_match = false;  // keys XDP cannot see (ct_state, enc_key_id): no frame can aim at them
  std::string keys;         // the flower keys, with a leading space
  std::string actions;      // "action ...", empty for none
  std::string line;         // the whole command
  size_t line_no = 0;       // 1-based line in GenRuleSet::text
};

struct GenRuleSet {
  uint64_t seed = 0;
  Profile profile = Profile::kSmall;
  std::string text;            // the tc batch file
  std::vector<GenRule> rules;  // in line (creation) order

  std::optional<size_t> index_of(uint32_t chain, uint32_t pref, uint32_t handle) const {
    for (size_t i = 0; i < rules.size(); ++i)
      if (rules[i].chain == chain && rules[i].pref == pref && rules[i].handle == handle) return i;
    return std::nullopt;
  }
};

// The devices generated rules name (indev, mirred): eth0..eth2 are ifindex 1..3, veth1 is 4.
inline std::optional<uint32_t> resolve_gen_device(const std::string& name) {
  if (name == "eth0") return 1;
  if (name == "eth1") return 2;
  if (name == "eth2") return 3;
  if (name == "veth1") return 4;
  return std::nullopt;
}

namespace detail {

inline constexpr uint16_t kEthIp = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806;
inline constexpr uint16_t kEth8021Q = 0x8100, kEth8021AD = 0x88a8, kEthMplsUc = 0x8847;

inline bool is_vlan_type(uint16_t t) {
  return t == kEth8021Q || t == kEth8021AD;
}

inline std::string fmt_hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
inline std::string fmt_ipv4(const uint8_t* a) {
  char b[16];
  snprintf(b, sizeof b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  return b;
}
inline std::string fmt_ipv6(const uint8_t* a) {
  char b[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a, b, sizeof b);
  return b;
}
inline std::string fmt_mac(const uint8_t* m) {
  char b[18];
  snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}
inline std::string ethertype_text(Rand& r, uint16_t t) {
  const char* name = t == kEthIp         ? "ip"
                     : t == kEthIpv6     ? "ipv6"
                     : t == kEthArp      ? "arp"
                     : t == kEth8021Q    ? "802.1q"
                     : t == kEth8021AD   ? "802.1ad"
                     : t == kEthMplsUc   ? "mpls_uc"
                     : t == ir::kEthPAll ? "all"
                                         : nullptr;
  if (name && (t == ir::kEthPAll || !r.chance(0.05))) return name;
  char b[8];
  snprintf(b, sizeof b, "0x%04x", t);
  return b;
}

// Leading-ones mask of `bits` over n bytes.
inline void prefix_bytes(uint8_t* mask, size_t n, int bits) {
  for (size_t i = 0; i < n; ++i, bits -= 8)
    mask[i] = bits >= 8 ? 0xff : bits > 0 ? static_cast<uint8_t>(0xff00 >> bits) : 0;
}

// Address pools, so prefixes of different rules overlap and random frames sometimes hit them.
inline constexpr uint8_t kV4Pool[][4] = {{10, 0, 0, 0},   {10, 1, 0, 0},    {10, 1, 2, 0},
                                         {10, 1, 2, 3},   {192, 168, 0, 0}, {192, 168, 1, 77},
                                         {172, 16, 0, 0}, {8, 8, 8, 8},     {255, 255, 255, 255}};
inline constexpr uint8_t kV6Pool[][16] = {
    {0x20, 0x01, 0x0d, 0xb8},                                      // 2001:db8::
    {0x20, 0x01, 0x0d, 0xb8, 0, 1},                                // 2001:db8:1::
    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9},  // 2001:db8:1:2::9
    {0xfe, 0x80},                                                  // fe80::
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},        // ff02::1
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},              // ::1
};
inline constexpr uint8_t kMacPool[][6] = {
    {2, 0, 0, 0, 0, 1},    {2, 0, 0, 0, 0, 2},       {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    {1, 0, 0x5e, 0, 0, 1}, {0x33, 0x33, 0, 0, 0, 1}, {0, 0x11, 0x22, 0x33, 0x44, 0x55}};
inline constexpr uint16_t kPortPool[] = {0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65534, 65535};
inline constexpr uint16_t kPortBounds[] = {0, 1, 1023, 1024, 65534, 65535};

// An address near a pool entry: the pool's first `keep` bits, random below.
inline void pool_address(Rand& r, uint8_t* out, size_t n, const uint8_t* base) {
  const int keep = static_cast<int>(r.pick({0u, 8u, 16u, 24u, 32u, 48u, 64u, 128u}));
  uint8_t mask[16];
  prefix_bytes(mask, n, keep);
  for (size_t i = 0; i < n; ++i) out[i] = (base[i] & mask[i]) | (r.byte() & ~mask[i]);
}
inline void random_ipv4(Rand& r, uint8_t* out) {
  if (r.chance(0.85)) return pool_address(r, out, 4, kV4Pool[r.below(std::size(kV4Pool))]);
  for (int i = 0; i < 4; ++i) out[i] = r.byte();
}
inline void random_ipv6(Rand& r, uint8_t* out) {
  if (r.chance(0.85)) return pool_address(r, out, 16, kV6Pool[r.below(std::size(kV6Pool))]);
  for (int i = 0; i < 16; ++i) out[i] = r.byte();
}
inline void random_mac(Rand& r, uint8_t* out) {
  const uint8_t* base = kMacPool[r.below(std::size(kMacPool))];
  const bool exact = r.chance(0.6);
  for (int i = 0; i < 6; ++i) out[i] = exact || i < 3 ? base[i] : r.byte();
}
inline uint16_t random_port(Rand& r) {
  return r.chance(0.6) ? kPortPool[r.below(std::size(kPortPool))] : static_cast<uint16_t>(r.next());
}

// One rule's flower keys: the text and the match it parses to, written side by side.
struct Draft {
  uint16_t protocol = ir::kEthPAll;
  ir::Match match;
  std::string keys;
  bool punt_match = false;

  // Whether the keys narrow the protocol down at all.
  bool discriminates() const {
    if (match.src_port_range || match.dst_port_range || !match.mpls.empty() || match.indev)
      return true;
    for (const auto& f : match.fields)
      if (f && !f->mask_is_zero()) return true;
    return false;
  }
  void add(const std::string& key, const std::string& value) { keys += " " + key + " " + value; }
  void set_u(ir::Field f, uint64_t value, uint64_t mask) {
    match.set(f, ir::MaskedValue::from_u64(ir::field_info(f).width, value & mask, mask));
  }
  void set_bytes(ir::Field f, const uint8_t* value, const uint8_t* mask) {
    ir::MaskedValue mv;
    const size_t w = ir::field_info(f).width;
    for (size_t i = 0; i < w; ++i) mv.value[i] = value[i], mv.mask[i] = mask[i];
    mv.canonicalize();
    match.set(f, mv);
  }
};

class RuleGenerator {
 public:
  RuleGenerator(Rand& r, const RuleGenOptions& o) : r_(r), o_(o) {}

  GenRuleSet run(uint64_t seed);

 private:
  struct Instance {
    uint16_t protocol;
    std::set<std::string> match_keys;
    uint32_t next_handle = 1;
  };

  size_t rule_count();
  uint32_t pick_chain(uint32_t last_chain);
  uint16_t pick_protocol();
  Draft make_draft(uint16_t protocol);
  Draft make_classbench_draft();
  void add_vlan(Draft& d, uint16_t& n_proto);
  void add_ip(Draft& d, bool v6);
  void add_ports(Draft& d, bool src, bool classbench);
  void add_ip_addr(Draft& d, bool v6, bool src, bool classbench);
  void add_arp(Draft& d);
  void add_mpls(Draft& d);
  void add_mac(Draft& d, bool dst);
  void add_punt_match(Draft& d);
  void make_actions(GenRule& rule, uint32_t last_chain);
  // Frame rewrites (vlan, pedit, csum, skbedit mark), each "action ... pipe", then a verdict.
  void make_rewrites(GenRule& rule, uint32_t last_chain);
  void make_mirrors(GenRule& rule);
  // A police action (police_args) and, when a verdict pipes, what follows it.
  void make_police(GenRule& rule);
  std::string police_args();
  std::string rewrite_step();
  std::string pedit_munge();
  void set_goto(GenRule& rule, uint32_t chain);
  void add_chain_defaults(std::vector<GenRule>& rules, uint32_t last_chain, uint32_t max_pref);
  void ensure_reachable(std::vector<GenRule>& rules, uint32_t last_chain);
  std::string match_key(const Draft& d) const {
    ir::Rule tmp;
    tmp.protocol = d.protocol;
    tmp.match = d.match;
    return ir::match_key(tmp);
  }

  Rand& r_;
  Rand mirror_r_{0};  // make_mirrors' own stream (run() seeds it from the set's seed)
  Rand police_r_{0};  // make_police's, likewise
  const RuleGenOptions& o_;
  std::map<std::pair<uint32_t, uint32_t>, Instance> instances_;
  std::map<uint32_t, std::string> police_indexes_;  // tc index -> the police it was given first
};

inline size_t RuleGenerator::rule_count() {
  size_t lo = o_.min_rules, hi = o_.max_rules;
  if (!lo && !hi) {
    switch (o_.profile) {
      case Profile::kSmall: lo = 1, hi = 20; break;
      case Profile::kMedium: lo = 20, hi = 200; break;
      case Profile::kClassbench: lo = 100, hi = 500; break;
    }
  }
  if (hi < lo) hi = lo;
  return r_.range(lo, hi);
}

inline uint32_t RuleGenerator::pick_chain(uint32_t last_chain) {
  if (last_chain == 0 || r_.chance(0.5)) return 0;
  return static_cast<uint32_t>(r_.range(1, last_chain));
}

inline uint16_t RuleGenerator::pick_protocol() {
  static constexpr uint16_t kProtos[] = {kEthIp,     kEthIpv6, kEth8021Q,   kEth8021AD,
                                         kEthMplsUc, kEthArp,  ir::kEthPAll};
  return kProtos[r_.weighted({34, 20, 10, 5, 8, 8, 10})];
}

inline void RuleGenerator::add_mac(Draft& d, bool dst) {
  uint8_t addr[6], mask[6];
  random_mac(r_, addr);
  std::string text = fmt_mac(addr);
  switch (r_.weighted({50, 15, 4, 18, 13})) {
    case 0: prefix_bytes(mask, 6, 48); break;
    case 1: {
      const uint8_t m[6] = {0xff, 0xff, 0xff, 0, 0, 0};
      std::copy_n(m, 6, mask);
      text += "/" + fmt_mac(mask);
      break;
    }
    case 2: {  // the group bit alone
      const uint8_t m[6] = {1, 0, 0, 0, 0, 0};
      std::copy_n(m, 6, mask);
      text += "/" + fmt_mac(mask);
      break;
    }
    case 3: {
      const int bits = static_cast<int>(r_.pick({8u, 24u, 40u, 47u, 48u}));
      prefix_bytes(mask, 6, bits);
      text += "/" + std::to_string(bits);
      break;
    }
    default:  // arbitrary, holes and all
      for (auto& b : mask) b = r_.byte();
      mask[r_.below(6)] |= 1;
      text += "/" + fmt_mac(mask);
  }
  d.add(dst ? "dst_mac" : "src_mac", text);
  d.set_bytes(dst ? ir::Field::kDstMac : ir::Field::kSrcMac, addr, mask);
}

inline void RuleGenerator::add_ip_addr(Draft& d, bool v6, bool src, bool classbench) {
  uint8_t addr[16] = {}, mask[16] = {};
  const size_t n = v6 ? 16 : 4;
  v6 ? random_ipv6(r_, addr) : random_ipv4(r_, addr);
  int bits;
  if (classbench) {  // classbench's prefix lengths cluster at /8../16 and /24../32
    bits = static_cast<int>(r_.chance(0.6)    ? r_.range(24, 32)
                            : r_.chance(0.95) ? r_.pick({8u, 12u, 16u, 20u})
                                              : 0u);
  } else if (r_.chance(0.02)) {
    bits = 0;  // a key that keys nothing
  } else if (r_.chance(0.7)) {
    bits = v6 ? static_cast<int>(r_.pick({1u, 16u, 32u, 48u, 63u, 64u, 65u, 96u, 127u, 128u}))
              : static_cast<int>(r_.pick({1u, 7u, 8u, 9u, 15u, 16u, 17u, 23u, 24u, 25u, 31u, 32u}));
  } else {
    bits = static_cast<int>(r_.range(0, v6 ? 128 : 32));
  }
  prefix_bytes(mask, n, bits);
  std::string text = v6 ? fmt_ipv6(addr) : fmt_ipv4(addr);
  if (bits == static_cast<int>(n * 8) && r_.chance(0.5)) {
    // bare address: a host route
  } else if (!v6 && r_.chance(0.25)) {
    text += "/" + fmt_ipv4(mask);  // dotted netmask; iproute2 accepts only contiguous ones
  } else {
    text += "/" + std::to_string(bits);
  }
  d.add(src ? "src_ip" : "dst_ip", text);
  using F = ir::Field;
  d.set_bytes(v6 ? (src ? F::kIpv6Src : F::kIpv6Dst) : (src ? F::kIpv4Src : F::kIpv4Dst), addr,
              mask);
}

inline void RuleGenerator::add_ports(Draft& d, bool src, bool classbench) {
  const char* key = src ? "src_port" : "dst_port";
  const ir::Field f = src ? ir::Field::kSrcPort : ir::Field::kDstPort;
  const size_t form = classbench ? r_.weighted({50, 0, 50}) : r_.weighted({45, 20, 35});
  if (form == 0) {
    const uint16_t p = random_port(r_);
    d.add(key, std::to_string(p));
    d.set_u(f, p, 0xffff);
  } else if (form == 1) {
    const uint16_t v = random_port(r_);
    uint16_t m = r_.pick<uint16_t>({0xff00, 0xfff0, 0xfffe, 0xfc00, 0x8000, 0x00ff, 0xffff});
    if (r_.chance(0.3)) m = static_cast<uint16_t>(r_.next() | 1);
    d.add(key, (r_.chance(0.5) ? std::to_string(v) : fmt_hex(v)) + "/" + fmt_hex(m));
    d.set_u(f, v, m);
  } else {
    auto bound = [&] {
      return r_.chance(0.5) ? kPortBounds[r_.below(std::size(kPortBounds))] : random_port(r_);
    };
    uint16_t lo = bound(), hi = bound();
    if (lo > hi) std::swap(lo, hi);
    if (lo == hi) lo == 65535 ? --lo : ++hi;
    d.add(key, std::to_string(lo) + "-" + std::to_string(hi));
    (src ? d.match.src_port_range : d.match.dst_port_range) = ir::PortRange{lo, hi};
  }
}

inline void RuleGenerator::add_ip(Draft& d, bool v6) {
  using F = ir::Field;
  if (r_.chance(0.45)) add_ip_addr(d, v6, true, false);
  if (r_.chance(0.55)) add_ip_addr(d, v6, false, false);
  std::optional<uint8_t> proto;
  if (r_.chance(0.7)) {
    switch (r_.weighted({35, 28, 7, 15, 15})) {
      case 0: proto = 6, d.add("ip_proto", "tcp"); break;
      case 1: proto = 17, d.add("ip_proto", "udp"); break;
      case 2: proto = 132, d.add("ip_proto", "sctp"); break;
      case 3:
        proto = v6 ? 58 : 1;
        d.add("ip_proto", v6 ? "icmpv6" : "icmp");
        break;
      default:  // tc reads a numeric ip_proto as hex
        // IPv6 never reports 0 (hop-by-hop) as ip_proto: the dissector skips it.
        proto = r_.pick<uint8_t>(
            {0x06, 0x11, 0x2f, 0x32, uint8_t(v6 ? 0x3b : 0x00), 0xff, 0x3a, 0x01, 0x84});
        d.add("ip_proto", fmt_hex(*proto));
    }
    d.set_u(F::kIpProto, *proto, 0xff);
  }
  const bool ports = proto == 6 || proto == 17 || proto == 132;
  const bool icmp = proto == (v6 ? 58 : 1);
  bool l4_keys = false;
  if (ports && r_.chance(0.35)) add_ports(d, true, false), l4_keys = true;
  if (ports && r_.chance(0.55)) add_ports(d, false, false), l4_keys = true;
  if (proto == 6 && r_.chance(0.2)) {
    const uint16_t v = r_.chance(0.5) ? r_.pick<uint16_t>({0x02, 0x12, 0x10, 0x11, 0x04, 0x18})
                                      : static_cast<uint16_t>(r_.next() & 0xfff);
    const uint16_t m = r_.chance(0.5) ? r_.pick<uint16_t>({0x3f, 0x12, 0x17, 0xfff, 0x02})
                                      : static_cast<uint16_t>((r_.next() & 0xfff) | 0x10);
    d.add("tcp_flags", fmt_hex(v) + "/" + fmt_hex(m));
    d.set_u(F::kTcpFlags, v, m);
    l4_keys = true;
  }
  if (icmp && r_.chance(0.6)) {
    const uint8_t type = r_.chance(0.8) ? (v6 ? r_.pick<uint8_t>({1, 128, 129, 133, 135, 136})
                                              : r_.pick<uint8_t>({0, 3, 8, 11, 13}))
                                        : r_.byte();
    if (r_.chance(0.15)) {
      const uint8_t m = r_.pick<uint8_t>({0xf0, 0x80, 0xfe, 0x0f});
      d.add("type", std::to_string(type) + "/" + std::to_string(m));
      d.set_u(F::kIcmpType, type, m);
    } else {
      d.add("type", std::to_string(type));
      d.set_u(F::kIcmpType, type, 0xff);
    }
    if (r_.chance(0.5)) {
      const uint8_t code = r_.pick<uint8_t>({0, 1, 3, 4});
      d.add("code", std::to_string(code));
      d.set_u(F::kIcmpCode, code, 0xff);
    }
    l4_keys = true;
  }
  if (r_.chance(0.1)) {  // tc reads the value as decimal (else hex), the mask as hex
    const uint8_t v = r_.chance(0.6) ? r_.pick<uint8_t>({0, 0x10, 0x20, 0xb8, 0x04}) : r_.byte();
    const bool masked = r_.chance(0.5);
    const uint8_t m = masked ? r_.pick<uint8_t>({0xfc, 0xe0, 0x03, 0x1c}) : 0xff;
    d.add("ip_tos", std::to_string(v) + (masked ? "/" + fmt_hex(m) : ""));
    d.set_u(F::kIpTos, v, m);
  }
  if (r_.chance(0.1)) {
    const uint8_t v = r_.pick<uint8_t>({0, 1, 2, 63, 64, 128, 255});
    const bool masked = r_.chance(0.4);
    const uint8_t m = masked ? r_.pick<uint8_t>({0x80, 0xfe, 0xc0, 0x01}) : 0xff;
    d.add("ip_ttl", std::to_string(v) + (masked ? "/" + fmt_hex(m) : ""));
    d.set_u(F::kIpTtl, v, m);
  }
  if (r_.chance(0.1)) {
    // flower reads no L4 header from any fragment (no FLOW_DISSECTOR_F_PARSE_1ST_FRAG): with L4
    // keys only flags a whole packet meets, so targeted packets stay possible.
    struct Choice {
      const char* text;
      uint8_t value, mask;
    };
    constexpr uint8_t kF = ir::kIpFlagIsFragment, kFirst = ir::kIpFlagFirstFrag;
    static constexpr Choice kAll[] = {
        {"frag", kF, kF},
        {"nofrag", 0, kF},
        {"firstfrag", kFirst, kFirst},
        {"nofirstfrag", 0, kFirst},
        {"frag/firstfrag", kF | kFirst, kF | kFirst},
        {"frag/nofirstfrag", kF, kF | kFirst},
    };
    const Choice& c = l4_keys ? kAll[r_.pick<size_t>({1, 3})] : kAll[r_.below(6)];
    d.add("ip_flags", c.text);
    d.set_u(F::kIpFlags, c.value, c.mask);
  }
}

inline void RuleGenerator::add_arp(Draft& d) {
  using F = ir::Field;
  if (r_.chance(0.5)) {
    const uint8_t op = r_.pick<uint8_t>({1, 2});
    std::string text = r_.chance(0.5) ? (op == 1 ? "request" : "reply") : std::to_string(op);
    uint8_t m = 0xff;
    if (r_.chance(0.15)) {
      m = r_.pick<uint8_t>({1, 2, 3, 0xfe});
      text += "/" + std::to_string(m);
    }
    d.add("arp_op", text);
    d.set_u(F::kArpOp, op, m);
  }
  for (F f : {F::kArpSip, F::kArpTip}) {
    if (!r_.chance(0.4)) continue;
    uint8_t addr[4], mask[4];
    random_ipv4(r_, addr);
    const int bits = static_cast<int>(r_.pick({8u, 16u, 24u, 31u, 32u}));
    prefix_bytes(mask, 4, bits);
    d.add(f == F::kArpSip ? "arp_sip" : "arp_tip",
          fmt_ipv4(addr) + (bits == 32 && r_.chance(0.5) ? "" : "/" + std::to_string(bits)));
    d.set_bytes(f, addr, mask);
  }
  for (F f : {F::kArpSha, F::kArpTha}) {
    if (!r_.chance(0.2)) continue;
    uint8_t addr[6], mask[6];
    random_mac(r_, addr);
    const bool masked = r_.chance(0.3);
    prefix_bytes(mask, 6, masked ? 24 : 48);
    d.add(f == F::kArpSha ? "arp_sha" : "arp_tha",
          fmt_mac(addr) + (masked ? "/ff:ff:ff:00:00:00" : ""));
    d.set_bytes(f, addr, mask);
  }
}

inline void RuleGenerator::add_mpls(Draft& d) {
  auto label = [&] {
    return r_.chance(0.6) ? r_.pick<uint32_t>({0, 1, 3, 16, 100, 1000, 0xfffff})
                          : static_cast<uint32_t>(r_.next() & 0xfffff);
  };
  if (r_.chance(0.4)) {  // the old single-label keys describe the top of the stack
    ir::MplsLseMatch top;
    if (r_.chance(0.7)) top.label = label(), d.add("mpls_label", std::to_string(*top.label));
    if (r_.chance(0.3)) top.tc = r_.below(8), d.add("mpls_tc", std::to_string(*top.tc));
    if (r_.chance(0.3)) top.bos = r_.below(2), d.add("mpls_bos", std::to_string(*top.bos));
    if (r_.chance(0.3)) top.ttl = r_.byte(), d.add("mpls_ttl", std::to_string(*top.ttl));
    if (top.label || top.tc || top.bos || top.ttl) d.match.mpls.push_back(top);
    return;
  }
  // `mpls lse depth N ...`: a few depths, bos 1 only at the deepest so a stack can meet it.
  std::set<uint8_t> depths;
  const size_t count = r_.weighted({0, 55, 30, 15});
  while (depths.size() < count)
    depths.insert(static_cast<uint8_t>(r_.chance(0.6) ? r_.range(1, 3) : r_.range(1, 7)));
  const uint8_t deepest = *depths.rbegin();
  std::vector<std::string> clauses;
  for (uint8_t depth : depths) {
    ir::MplsLseMatch lse;
    lse.depth = depth;
    std::string c = "lse depth " + std::to_string(depth);
    while (!lse.label && !lse.tc && !lse.bos && !lse.ttl) {  // the kernel wants one field at least
      if (r_.chance(0.6)) lse.label = label();
      if (r_.chance(0.25)) lse.tc = r_.below(8);
      if (r_.chance(0.25)) lse.bos = depth == deepest ? r_.below(2) : 0;
      if (r_.chance(0.25)) lse.ttl = r_.byte();
    }
    if (lse.label) c += " label " + std::to_string(*lse.label);
    if (lse.tc) c += " tc " + std::to_string(*lse.tc);
    if (lse.bos) c += " bos " + std::to_string(*lse.bos);
    if (lse.ttl) c += " ttl " + std::to_string(*lse.ttl);
    clauses.push_back(c);
    d.match.mpls.push_back(lse);  // ascending, as the parser keeps them
  }
  if (clauses.size() > 1 && r_.chance(0.3)) std::swap(clauses.front(), clauses.back());
  std::string text;
  for (const auto& c : clauses) text += (text.empty() ? "" : " ") + c;
  d.add("mpls", text);
  d.match.mpls_lse_syntax = true;
}

// The tags: vlan_id/prio, vlan_ethtype, and for QinQ the cvlan keys. Sets n_proto to the ethertype
// the rule names last (0 when it names none).
inline void RuleGenerator::add_vlan(Draft& d, uint16_t& n_proto) {
  using F = ir::Field;
  n_proto = 0;
  if (r_.chance(0.5)) {
    const uint16_t id = r_.chance(0.6) ? r_.pick<uint16_t>({0, 1, 100, 4094, 4095})
                                       : static_cast<uint16_t>(r_.below(4096));
    d.add("vlan_id", std::to_string(id));
    d.set_u(F::kVlanId, id, 0xfff);
  }
  if (r_.chance(0.3)) {
    const uint8_t prio = r_.below(8);
    d.add("vlan_prio", std::to_string(prio));
    d.set_u(F::kVlanPrio, prio, 7);
  }
  if (!r_.chance(0.65)) return;
  static constexpr uint16_t kInner[] = {kEthIp,     kEthIpv6,   kEthArp, kEth8021Q,
                                        kEth8021AD, kEthMplsUc, 0x88cc};
  const uint16_t inner = kInner[r_.weighted({38, 20, 8, 14, 5, 8, 7})];
  d.add("vlan_ethtype", ethertype_text(r_, inner));
  d.set_u(F::kVlanEthType, inner, 0xffff);
  n_proto = inner;
  if (!is_vlan_type(inner)) return;
  n_proto = 0;
  if (r_.chance(0.6)) {
    const uint16_t id =
        static_cast<uint16_t>(r_.chance(0.5) ? r_.pick<uint16_t>({1, 200, 4095}) : r_.below(4096));
    d.add("cvlan_id", std::to_string(id));
    d.set_u(F::kCvlanId, id, 0xfff);
  }
  if (r_.chance(0.3)) {
    const uint8_t prio = r_.below(8);
    d.add("cvlan_prio", std::to_string(prio));
    d.set_u(F::kCvlanPrio, prio, 7);
  }
  if (r_.chance(0.7)) {
    static constexpr uint16_t kCInner[] = {kEthIp, kEthIpv6, kEthArp, kEthMplsUc, 0x1234};
    const uint16_t c = kCInner[r_.weighted({50, 25, 10, 5, 10})];
    d.add("cvlan_ethtype", ethertype_text(r_, c));
    d.set_u(F::kCvlanEthType, c, 0xffff);
    n_proto = c;
  }
}

inline void RuleGenerator::add_punt_match(Draft& d) {
  if (r_.chance(0.6)) {
    static constexpr std::pair<const char*, uint16_t> kStates[] = {
        {"+trk", ir::kCtTracked}, {"-trk", 0}, {"+trk+est", ir::kCtTracked | ir::kCtEstablished}};
    const auto& [text, value] = kStates[r_.below(3)];
    const uint16_t mask = value ? value : ir::kCtTracked;
    d.add("ct_state", text);
    d.set_u(ir::Field::kCtState, value, mask);
  } else {
    const uint32_t id = r_.pick<uint32_t>({5, 42, 0xffffffffu});
    d.add("enc_key_id", std::to_string(id));
    d.set_u(ir::Field::kEncKeyId, id, 0xffffffff);
  }
  d.punt_match = true;
}

inline Draft RuleGenerator::make_draft(uint16_t protocol) {
  Draft d;
  d.protocol = protocol;
  const bool macs_first = r_.chance(0.5);
  const double mac_p = protocol == ir::kEthPAll ? 0.5 : 0.12;
  auto macs = [&] {
    if (r_.chance(mac_p)) add_mac(d, true);
    if (r_.chance(mac_p)) add_mac(d, false);
  };
  if (macs_first) macs();
  uint16_t n_proto = protocol;
  if (is_vlan_type(protocol)) add_vlan(d, n_proto);
  if (n_proto == kEthIp || n_proto == kEthIpv6) add_ip(d, n_proto == kEthIpv6);
  if (n_proto == kEthArp) add_arp(d);
  if (n_proto == kEthMplsUc) add_mpls(d);
  if (!macs_first) macs();
  if (r_.chance(0.04)) {
    d.match.indev = r_.pick<std::string>({"eth0", "eth1", "eth2"});
    d.add("indev", *d.match.indev);
  }
  if (o_.punts && r_.chance(0.03)) add_punt_match(d);
  if (r_.chance(0.04)) d.keys += " skip_hw";  // no effect on software classification
  return d;
}

inline Draft RuleGenerator::make_classbench_draft() {
  Draft d;
  d.protocol = kEthIp;
  if (r_.chance(0.9)) add_ip_addr(d, false, true, true);
  if (r_.chance(0.9)) add_ip_addr(d, false, false, true);
  std::optional<uint8_t> proto;
  switch (r_.weighted({45, 35, 5, 10, 5})) {
    case 0: proto = 6, d.add("ip_proto", "tcp"); break;
    case 1: proto = 17, d.add("ip_proto", "udp"); break;
    case 2: proto = 1, d.add("ip_proto", "icmp"); break;
    case 3: break;
    default: proto = 0x2f, d.add("ip_proto", "0x2f");
  }
  if (proto) d.set_u(ir::Field::kIpProto, *proto, 0xff);
  if (proto == 6 || proto == 17) {
    if (r_.chance(0.5)) add_ports(d, true, true);
    if (r_.chance(0.8)) add_ports(d, false, true);
  }
  return d;
}

inline void RuleGenerator::set_goto(GenRule& rule, uint32_t chain) {
  rule.effect = Effect::kGotoChain;
  rule.goto_chain = chain;
  rule.actions = "action goto chain " + std::to_string(chain);
}

inline void RuleGenerator::make_actions(GenRule& rule, uint32_t last_chain) {
  const bool can_goto = rule.chain < last_chain;
  const bool classbench = o_.profile == Profile::kClassbench;
  const size_t kind =
      classbench ? r_.weighted({60, 40})
                 : r_.weighted({26, 20, 10, 6, can_goto ? 16u : 0u, 10, o_.punts ? 6u : 0u, 2,
                                // Rewrites: fewer in medium sets, whose action code would
                                // otherwise dominate the suite's compile and verifier time.
                                o_.profile == Profile::kMedium ? 6u : 24u});
  switch (kind) {
    case 0:
      rule.effect = Effect::kDrop;
      rule.actions = r_.pick<std::string>({"action drop", "action shot", "action gact drop"});
      break;
    case 1:
      rule.effect = Effect::kPass;
      rule.actions = r_.pick<std::string>({"action pass", "action ok", "action gact pass"});
      break;
    case 2:
      rule.effect = Effect::kContinue;
      rule.actions = "action continue";
      break;
    case 3:  // pipe hands on to the next action of the same filter
      rule.effect = Effect::kDrop;
      rule.actions = "action pipe action drop";
      break;
    case 4: set_goto(rule, static_cast<uint32_t>(r_.range(rule.chain + 1, last_chain))); break;
    case 5:
      rule.effect = Effect::kRedirect;
      rule.actions = "action mirred egress redirect dev veth1";
      break;
    case 6:
      rule.effect = Effect::kPunt;
      rule.actions =
          r_.pick<std::string>({"action vlan pop_eth", "action skbedit priority 1:1",
                                "action reclassify", "action mirred egress mirror dev veth1"});
      break;
    case 7:  // no action at all: the filter's verdict is pass
      rule.effect = Effect::kPass;
      rule.actions.clear();
      break;
    default: make_rewrites(rule, last_chain);
  }
  // Mirrors replace some rules' actions, drawn from their own stream so the sets of other seeds
  // (and the frames aimed at them) stay what they were.
  if (!classbench && rule.effect != Effect::kGotoChain && mirror_r_.chance(0.06))
    make_mirrors(rule);
  // Police likewise, from a stream of its own.
  else if (!classbench && o_.police && rule.effect != Effect::kGotoChain && police_r_.chance(0.08))
    make_police(rule);
}

// Police whose decisions do not depend on when frames arrive (the differential tests' clocks
// differ by under a second): 8bit and 1 packet/s buckets count whole seconds of tokens (a byte
// costs exactly 1 s), so less than a second of refill never lets another packet through; a
// 10-megabyte burst at 1gbit never runs dry within a rule set's frames; mtu checks have no
// bucket. (A fresh packet bucket is empty; the tests start every bucket as if created long ago.)
inline std::string RuleGenerator::police_args() {
  Rand& r = police_r_;
  auto mtu = [&] { return " mtu " + std::to_string(r.range(40, 1600)); };
  switch (r.weighted({35, 20, 10, 15, 20})) {
    case 0: {
      std::string s = "rate 8bit burst " + std::to_string(r.range(1, 274));
      if (r.chance(0.3)) s += mtu();
      return s;
    }
    case 1: return "pkts_rate 1 pkts_burst " + std::to_string(r.range(1, 20));
    case 2:
      return "rate 8bit burst " + std::to_string(r.range(100, 274)) + mtu() + " peakrate 8bit";
    case 3: return "rate 1gbit burst 10m" + (r.chance(0.5) ? mtu() : std::string());
    default: return mtu().substr(1);
  }
}

inline void RuleGenerator::make_police(GenRule& rule) {
  Rand& r = police_r_;
  std::string police = police_args();
  // Sometimes a shared tc index; mostly with the configuration it had first (else punted).
  std::string index;
  if (r.chance(0.2)) {
    const uint32_t n = static_cast<uint32_t>(r.range(1, 3));
    auto [it, fresh] = police_indexes_.try_emplace(n, police);
    if (!fresh && r.chance(0.85)) police = it->second;
    index = " index " + std::to_string(n);
  }
  std::string exceed =
      r.pick<std::string>({"drop", "drop", "pass", "pipe", "reclassify", "continue"});
  if (!o_.punts && (exceed == "reclassify" || exceed == "continue")) exceed = "drop";
  const std::string conform = r.pick<std::string>({"ok", "ok", "pipe", "drop"});
  rule.effect = exceed == "drop" ? Effect::kDrop : Effect::kPass;
  rule.actions = "action police " + police + " conform-exceed " + exceed + "/" + conform + index;
  if (exceed != "pipe" && conform != "pipe") return;
  switch (r.weighted({30, 30, 20, 20})) {
    case 0: rule.actions += " action drop"; break;
    case 1: rule.actions += " action pass"; break;
    case 2: rule.actions += " action mirred egress redirect dev veth1"; break;
    default:
      rule.actions += " action " +
                      r.pick<std::string>({"vlan push id 12", "skbedit mark 77",
                                           "pedit ex munge ip ttl set 9", "csum iph and udp"}) +
                      " pipe action pass";
  }
}

inline std::string RuleGenerator::pedit_munge() {
  auto mac = [&] {
    char b[32];
    snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", r_.byte() & 0xfe, r_.byte(), r_.byte(),
             r_.byte(), r_.byte(), r_.byte());
    return std::string(b);
  };
  auto ip4 = [&] {
    return std::to_string(r_.byte()) + "." + std::to_string(r_.byte()) + "." +
           std::to_string(r_.byte()) + "." + std::to_string(r_.byte());
  };
  auto ip6 = [&] {
    char b[64];
    snprintf(b, sizeof b, "2001:db8:%x::%x:%x", unsigned(r_.below(0x10000)),
             unsigned(r_.below(0x10000)), unsigned(r_.below(0x10000)));
    return std::string(b);
  };
  auto num = [&](uint64_t below) { return std::to_string(r_.below(below)); };
  switch (r_.weighted({6, 6, 8, 8, 4, 6, 6, 4, 5, 5, 4, 4, 3, 3, 5, 5, 5, 5, 3, 2})) {
    case 0: return "munge eth dst set " + mac();
    case 1: return "munge eth src set " + mac();
    case 2: return "munge ip src set " + ip4();
    case 3: return "munge ip dst set " + ip4();
    case 4: return "munge ip tos set " + num(256);
    case 5: return "munge ip ttl set " + num(256);
    case 6: return "munge ip ttl dec";
    case 7: return "munge ip ttl add " + num(256);
    case 8: return "munge ip6 src set " + ip6();
    case 9: return "munge ip6 dst set " + ip6();
    case 10:
      return "munge ip6 hoplimit " + (r_.chance(0.5) ? "set " + num(256) : std::string("dec"));
    case 11: return "munge ip6 traffic_class set " + num(256);
    case 12: return "munge ip6 flow_lbl set " + num(0x100000);
    case 13: return "munge ip6 hoplimit add " + num(256);
    case 14: return "munge tcp sport set " + num(65536);
    case 15:
      return "munge tcp dport " + (r_.chance(0.7) ? "set " : std::string("add ")) + num(65536);
    case 16: return "munge udp sport set " + num(65536);
    case 17:
      return "munge udp dport " + (r_.chance(0.7) ? "set " : std::string("add ")) + num(65536);
    case 18:
      return "munge offset " + std::to_string(4 * r_.below(12)) + " u32 set " + num(1u << 31);
    default: return "munge ip tos set " + num(256) + " retain 0xfc";
  }
}

inline std::string RuleGenerator::rewrite_step() {
  auto vid = [&] { return std::to_string(r_.below(4095)); };
  switch (r_.weighted({10, 6, 6, 30, 16, 6})) {
    case 0: {
      std::string s = "vlan push id " + vid();
      if (r_.chance(0.4)) s += " protocol " + r_.pick<std::string>({"802.1q", "802.1ad"});
      if (r_.chance(0.5)) s += " priority " + std::to_string(r_.below(8));
      return s;
    }
    case 1: return "vlan pop";
    case 2: {
      std::string s = "vlan modify id " + vid();
      if (r_.chance(0.5)) s += " priority " + std::to_string(r_.below(8));
      if (r_.chance(0.4)) s += " protocol " + r_.pick<std::string>({"802.1q", "802.1ad"});
      return s;
    }
    case 3: {
      std::string s = "pedit ex";
      for (size_t n = r_.range(1, 3); n > 0; --n) s += " " + pedit_munge();
      return s;
    }
    case 4: {
      std::string s = "csum";
      const char* names[] = {"iph", "icmp", "igmp", "tcp", "udp", "udplite"};
      bool any = false;
      for (const char* n : names)
        if (r_.chance(0.45)) s += std::string(" ") + n, any = true;
      if (!any) s += r_.chance(0.5) ? " iph and tcp" : " iph and udp";
      return s;
    }
    default: {
      std::string s = "skbedit mark " + std::to_string(r_.below(1u << 20));
      if (r_.chance(0.3)) s += "/0x" + std::string(r_.chance(0.5) ? "ff" : "ffff00");
      return s;
    }
  }
}

// A rewrite chain ending in a verdict; rarely one the planner must punt (continue/goto after a
// rewrite, a punted skbedit field), so the reasons stay exercised.
inline void RuleGenerator::make_rewrites(GenRule& rule, uint32_t last_chain) {
  rule.actions.clear();
  for (size_t n = r_.range(1, 3); n > 0; --n) rule.actions += "action " + rewrite_step() + " pipe ";
  switch (r_.weighted({30, 35, 25, 5, 3, 2})) {
    case 0: rule.effect = Effect::kDrop, rule.actions += "action drop"; break;
    case 1: rule.effect = Effect::kPass, rule.actions += "action pass"; break;
    case 2:
      rule.effect = Effect::kRedirect;
      rule.actions += "action mirred egress redirect dev veth1";
      break;
    case 3:  // the last step's own verdict (pipe off the end: pass)
      rule.effect = Effect::kPass;
      rule.actions.resize(rule.actions.size() - 6);  // drop " pipe "
      break;
    case 4: rule.effect = Effect::kPunt, rule.actions += "action continue"; break;
    default:
      rule.effect = Effect::kPunt;
      rule.actions += "action skbedit priority 1:1";
      (void)last_chain;
  }
}

// mirred copies (egress or ingress, to one of the generated devices), maybe after rewrites, then
// an ending: drop or a redirect (one broadcast), pass (copies at tc ingress), or one the planner
// must punt (a rewrite after the copy, continue).
inline void RuleGenerator::make_mirrors(GenRule& rule) {
  Rand& r = mirror_r_;
  const auto target = [&](std::string verb) {
    return std::string(r.chance(0.25) ? "ingress " : "egress ") + verb + " dev " +
           r.pick<std::string>({"eth0", "eth1", "eth2", "veth1"});
  };
  const auto rewrite = [&] {
    return r.pick<std::string>({"pedit ex munge ip ttl set 9",
                                "pedit ex munge eth src set "
                                "02:00:00:00:00:0a",
                                "vlan push id 12", "skbedit mark 77"});
  };
  rule.actions.clear();
  if (r.chance(0.4)) rule.actions += "action " + rewrite() + " pipe ";
  for (size_t n = r.range(1, 2); n > 0; --n)
    rule.actions += "action mirred " + target("mirror") + " pipe ";
  switch (r.weighted({35, 35, 15, 8, 7})) {
    case 0: rule.effect = Effect::kDrop, rule.actions += "action drop"; break;
    case 1:
      rule.effect = Effect::kRedirect, rule.actions += "action mirred " + target("redirect");
      break;
    case 2: rule.effect = Effect::kPass, rule.actions += "action pass"; break;
    case 3:
      rule.effect = Effect::kPunt;
      rule.actions += "action " + rewrite() + " pipe action drop";
      break;
    default: rule.effect = Effect::kPunt, rule.actions += "action continue";
  }
}

// Most chains end with a catch-all `protocol all ... goto chain N` (as operators write a default),
// so every protocol can reach the higher chains.
inline void RuleGenerator::add_chain_defaults(std::vector<GenRule>& rules, uint32_t last_chain,
                                              uint32_t max_pref) {
  for (uint32_t chain = 1; chain <= last_chain; ++chain) {
    if (!r_.chance(0.85)) continue;
    GenRule rule;
    rule.chain = r_.chance(0.7) ? chain - 1 : static_cast<uint32_t>(r_.below(chain));
    rule.pref = max_pref + 1 + chain;  // after every generated pref of its chain
    rule.handle = 1;
    rule.protocol = ir::kEthPAll;
    if (r_.chance(0.3)) {
      Draft d;
      add_mac(d, r_.chance(0.5));
      rule.keys = d.keys;
      rule.match = d.match;
    }
    set_goto(rule, chain);
    rules.push_back(std::move(rule));
  }
}

// A chain nobody jumps to is dead code; give each used chain at least one goto from below.
inline void RuleGenerator::ensure_reachable(std::vector<GenRule>& rules, uint32_t last_chain) {
  for (uint32_t chain = 1; chain <= last_chain; ++chain) {
    bool used = false, reached = false;
    for (const auto& r : rules) {
      used |= r.chain == chain;
      reached |= r.effect == Effect::kGotoChain && r.goto_chain == chain;
    }
    if (!used || reached) continue;
    std::vector<size_t> below, plain;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].chain >= chain) continue;
      below.push_back(i);
      if (rules[i].effect != Effect::kGotoChain) plain.push_back(i);
    }
    if (below.empty()) continue;
    set_goto(rules[r_.pick(plain.empty() ? below : plain)], chain);
  }
}

inline GenRuleSet RuleGenerator::run(uint64_t seed) {
  mirror_r_ = Rand(seed * 0x9e3779b97f4a7c15ull + 0x6d6972726f72ull);
  police_r_ = Rand(seed * 0xbf58476d1ce4e5b9ull + 0x706f6c696365ull);
  GenRuleSet out;
  out.seed = seed;
  out.profile = o_.profile;
  const bool classbench = o_.profile == Profile::kClassbench;
  const size_t count = rule_count();
  const uint32_t last_chain = classbench ? 0 : static_cast<uint32_t>(r_.range(0, o_.max_chain));
  const uint32_t max_pref = classbench ? 65535 : o_.profile == Profile::kSmall ? 30 : 400;
  std::map<uint32_t, std::vector<uint32_t>> prefs_of_chain;

  for (size_t n = 0; n < count; ++n) {
    GenRule rule;
    rule.chain = out.rules.empty() ? 0 : pick_chain(last_chain);
    auto& chain_prefs = prefs_of_chain[rule.chain];
    Draft d;
    for (int attempt = 0;; ++attempt) {
      // Equal prefs put several filters in one instance; they must share its protocol.
      if (classbench) {
        rule.pref = static_cast<uint32_t>(n + 1);
      } else if (attempt < 6 && !chain_prefs.empty() && r_.chance(0.3)) {
        rule.pref = r_.pick(chain_prefs);
      } else if (r_.chance(0.03)) {
        rule.pref = r_.pick<uint32_t>({1, 65535});
      } else {
        rule.pref = static_cast<uint32_t>(r_.range(1, max_pref));
      }
      auto inst = instances_.find({rule.chain, rule.pref});
      const uint16_t protocol = inst != instances_.end() ? inst->second.protocol
                                : classbench             ? kEthIp
                                                         : pick_protocol();
      // A filter that keys nothing takes every frame of its protocol: keep those rare.
      for (int tries = 0; tries < 4; ++tries) {
        d = classbench ? make_classbench_draft() : make_draft(protocol);
        if (d.discriminates() || r_.chance(0.04)) break;
      }
      if (inst == instances_.end() || !inst->second.match_keys.count(match_key(d))) break;
      if (attempt > 40) break;  // practically unreachable; the duplicate check below catches it
    }
    auto [inst, fresh] =
        instances_.try_emplace({rule.chain, rule.pref}, Instance{d.protocol, {}, 1});
    if (!inst->second.match_keys.insert(match_key(d)).second) continue;  // give up on this one
    if (fresh) chain_prefs.push_back(rule.pref);
    rule.handle = inst->second.next_handle++;
    rule.protocol = d.protocol;
    rule.match = std::move(d.match);
    rule.keys = std::move(d.keys);
    rule.punt_match = d.punt_match;
    make_actions(rule, last_chain);
    out.rules.push_back(std::move(rule));
  }
  add_chain_defaults(out.rules, last_chain, max_pref);
  ensure_reachable(out.rules, last_chain);

  out.text = "# tc2xdp generated rules: seed " + std::to_string(seed) + ", profile " +
             profile_name(o_.profile) + "\n";
  size_t line_no = 1;
  for (auto& rule : out.rules) {
    std::string& l = rule.line;
    l = r_.chance(0.1) ? "tc filter add dev " : "filter add dev ";
    l += o_.dev + " ingress";
    if (rule.chain || r_.chance(0.3)) l += " chain " + std::to_string(rule.chain);
    l += (r_.chance(0.85) ? " pref " : " prio ") + std::to_string(rule.pref);
    l += " protocol " + ethertype_text(r_, rule.protocol) + " flower" + rule.keys;
    if (!rule.actions.empty()) l += " " + rule.actions;
    rule.line_no = ++line_no;
    out.text += l + "\n";
  }
  return out;
}

}  // namespace detail

inline GenRuleSet generate_rules(Rand& rng, uint64_t seed_for_label,
                                 const RuleGenOptions& options = {}) {
  return detail::RuleGenerator(rng, options).run(seed_for_label);
}

// The rule set for `seed`: the same seed and options always give the same text.
inline GenRuleSet generate_rules(uint64_t seed, const RuleGenOptions& options = {}) {
  Rand rng(seed);
  return generate_rules(rng, seed, options);
}

}  // namespace tc2xdp::testing::gen
