// Seeded random frames for the differential tests, aimed at a generated rule set (rule_gen.h):
// targeted frames (inside a rule's masks, prefixes and ranges, boundaries included, reached through
// a goto path when the rule sits in a higher chain), near misses (one key just outside), random
// frames of every protocol, truncated frames, broken IP lengths and runts.
//
//   auto frames = gen::generate_frames(seed, rule_set, 500);
//   for (const auto& f : frames) ... f.bytes, f.ifindex, f.kind, f.rule
//
// Runts (< 14 bytes) are for the reference and the parser; the kernel's BPF_PROG_TEST_RUN refuses
// XDP input shorter than an Ethernet header, so a harness driving it should skip them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/frame_model.h"
#include "common/gen_random.h"
#include "common/rule_gen.h"

namespace tc2xdp::testing::gen {

enum class FrameKind : uint8_t { kTargeted, kNearMiss, kRandom, kTruncated, kBadLength, kRunt };

inline const char* frame_kind_name(FrameKind k) {
  switch (k) {
    case FrameKind::kTargeted: return "targeted";
    case FrameKind::kNearMiss: return "near-miss";
    case FrameKind::kRandom: return "random";
    case FrameKind::kTruncated: return "truncated";
    case FrameKind::kBadLength: return "bad-length";
    case FrameKind::kRunt: return "runt";
  }
  return "?";
}

struct GenFrame {
  std::vector<uint8_t> bytes;
  uint32_t ifindex = 1;
  FrameKind kind = FrameKind::kRandom;
  std::optional<size_t> rule;  // targeted / near miss: index into GenRuleSet::rules
  std::string note;            // what was done, for failure messages
};

// Relative weights of the frame kinds generate_frames draws.
struct PacketMix {
  unsigned targeted = 40, near_miss = 20, random = 18, truncated = 10, bad_length = 7, runt = 5;
};

namespace detail {

inline bool needs_l4(const GenRule& rule) {
  using F = ir::Field;
  const auto& m = rule.match;
  return m.src_port_range || m.dst_port_range || m.has(F::kSrcPort) || m.has(F::kDstPort) ||
         m.has(F::kTcpFlags) || m.has(F::kIcmpType) || m.has(F::kIcmpCode);
}

inline bool frame_field(ir::Field f) {
  const auto layer = ir::field_info(f).layer;
  return layer != ir::Layer::kTunnel && layer != ir::Layer::kConntrack;
}

inline void random_mpls(Rand& r, FrameModel& m) {
  const size_t depth = r.weighted({0, 40, 25, 15, 5, 4, 3, 3, 5});
  m.mpls.clear();
  for (size_t i = 0; i < depth; ++i) {
    MplsEntry e;
    e.label = r.chance(0.5) ? r.pick<uint32_t>({0, 1, 3, 16, 100, 1000, 0xfffff})
                            : static_cast<uint32_t>(r.next() & 0xfffff);
    e.tc = r.below(8);
    e.ttl = r.chance(0.5) ? 64 : r.byte();
    e.bos = i + 1 == depth;
    m.mpls.push_back(e);
  }
  if (r.chance(0.05)) m.mpls.back().bos = 0;  // a stack that never ends
}

inline void fix_mpls_bos(FrameModel& m) {
  for (size_t i = 0; i < m.mpls.size(); ++i) m.mpls[i].bos = i + 1 == m.mpls.size();
}

}  // namespace detail

// A model with every value random (biased towards the rule generator's pools) and a random shape.
inline FrameModel random_model(Rand& r) {
  using namespace detail;
  FrameModel m;
  m.ifindex = static_cast<uint32_t>(1 + r.weighted({85, 8, 7}));
  if (r.chance(0.7)) {
    random_mac(r, m.dst.data());
    random_mac(r, m.src.data());
  } else {
    for (auto& b : m.dst) b = r.byte();
    for (auto& b : m.src) b = r.byte();
  }
  const size_t tags = r.weighted({70, 20, 8, 2});
  for (size_t i = 0; i < tags; ++i) {
    VlanTag t;
    t.tpid = r.chance(i == 0 && tags > 1 ? 0.5 : 0.85) ? 0x8100 : 0x88a8;
    t.prio = r.below(8);
    t.dei = r.chance(0.05);
    t.vid = r.chance(0.5) ? r.pick<uint16_t>({0, 1, 100, 200, 4094, 4095})
                          : static_cast<uint16_t>(r.below(4096));
    m.tags.push_back(t);
  }
  static constexpr uint16_t kOther[] = {0x88cc, 0x1234, 0x0600, 0x05dc, 0x9000, 0xffff, 0x8864};
  switch (r.weighted({40, 25, 8, 1, 8, 2, 10})) {
    case 0: m.ethertype = 0x0800; break;
    case 1: m.ethertype = 0x86dd; break;
    case 2: m.ethertype = 0x0806; break;
    case 3: m.ethertype = 0x8035; break;
    case 4: m.ethertype = 0x8847; break;
    case 5: m.ethertype = 0x8848; break;
    default: m.ethertype = kOther[r.below(std::size(kOther))];
  }
  const bool v6 = m.ethertype == 0x86dd;
  if (v6) {
    random_ipv6(r, m.ip_src.data());
    random_ipv6(r, m.ip_dst.data());
  } else {
    random_ipv4(r, m.ip_src.data());
    random_ipv4(r, m.ip_dst.data());
  }
  m.tos = r.chance(0.5) ? r.pick<uint8_t>({0, 0x10, 0x20, 0xb8, 0x04}) : r.byte();
  m.ttl = r.chance(0.6) ? r.pick<uint8_t>({0, 1, 2, 63, 64, 128, 255}) : r.byte();
  switch (r.weighted({30, 25, 12, 3, 8, 22})) {
    case 0: m.proto = 6; break;
    case 1: m.proto = 17; break;
    case 2: m.proto = v6 ? 58 : 1; break;
    case 3: m.proto = v6 ? 1 : 58; break;
    case 4: m.proto = 132; break;
    default: m.proto = r.pick<uint8_t>({0, 2, 47, 50, 255, 43, 44, 60, 59});
  }
  switch (r.weighted({82, 10, 8})) {
    case 0: m.frag = 0; break;
    case 1: m.frag = ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag; break;
    default: m.frag = ir::kIpFlagIsFragment;
  }
  m.frag_offset = static_cast<uint16_t>(r.range(1, 8191));
  m.more_fragments = r.chance(0.5);
  m.dont_fragment = r.chance(0.4);
  m.ipv4_option_words = r.chance(0.8) ? 0 : static_cast<uint8_t>(r.range(1, 10));
  m.ip_id = static_cast<uint16_t>(r.next());
  m.flow_label = static_cast<uint32_t>(r.next() & 0xfffff);
  if (r.chance(0.3)) {
    if (r.chance(0.5)) m.ipv6_ext.push_back({0, static_cast<uint8_t>(r.below(3))});
    const size_t more = r.below(3);
    for (size_t i = 0; i < more; ++i)
      m.ipv6_ext.push_back({r.pick<uint8_t>({43, 60}), static_cast<uint8_t>(r.below(3))});
  }
  m.sport = random_port(r);
  m.dport = random_port(r);
  m.tcp_flags = r.chance(0.7) ? r.pick<uint16_t>({0x002, 0x012, 0x010, 0x011, 0x004, 0x018, 0x0c2})
                              : static_cast<uint16_t>(r.next() & 0xfff);
  m.icmp_type = r.chance(0.7) ? r.pick<uint8_t>({0, 3, 8, 11, 1, 128, 129, 135}) : r.byte();
  m.icmp_code = r.chance(0.7) ? r.pick<uint8_t>({0, 1, 3, 4}) : r.byte();
  random_mpls(r, m);
  m.mpls_inner_ipv4 = r.chance(0.5);
  m.arp_op = r.chance(0.9) ? r.pick<uint16_t>({1, 2}) : r.pick<uint16_t>({0, 3, 0x0101, 0xffff});
  m.arp_hrd = r.chance(0.95) ? 1 : 6;
  m.arp_pro = r.chance(0.95) ? 0x0800 : 0x86dd;
  m.arp_hln = r.chance(0.97) ? 6 : 8;
  m.arp_pln = r.chance(0.97) ? 4 : 16;
  random_mac(r, m.arp_sha.data());
  random_mac(r, m.arp_tha.data());
  random_ipv4(r, m.arp_sip.data());
  random_ipv4(r, m.arp_tip.data());
  m.payload.resize(r.chance(0.5) ? r.below(8) : r.below(48));
  for (auto& b : m.payload) b = r.byte();
  m.pad_to = r.chance(0.5) ? 60 : 0;
  return m;
}

// Lays one rule's keys over a model: its protocol and ethertypes shape the tags, its masked values
// go under their masks (other bits stay random), ranges get a value inside (often a bound), MPLS
// stacks grow to the keyed depths. Keys XDP cannot see (ct_state, enc_key_id) are left out.
inline void apply_rule(Rand& r, FrameModel& m, const GenRule& rule) {
  using F = ir::Field;
  using namespace detail;
  const ir::Match& match = rule.match;
  if (is_vlan_type(rule.protocol)) {
    if (m.tags.empty()) m.tags.push_back(VlanTag{});
    m.tags[0].tpid = rule.protocol;
  } else if (rule.protocol != ir::kEthPAll) {
    m.tags.clear();
    m.ethertype = rule.protocol;
  }
  auto lay = [&](F f) {
    const ir::MaskedValue* mv = match.get(f);
    if (!mv || !frame_field(f)) return;
    ir::Bytes16 v = read_field(m, f);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = (v[i] & ~mv->mask[i]) | (mv->value[i] & mv->mask[i]);
    write_field(m, f, v);
  };
  lay(F::kVlanEthType);  // the shape first: later keys read the tags it makes
  lay(F::kCvlanEthType);
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    const F f = static_cast<F>(i);
    if (f != F::kVlanEthType && f != F::kCvlanEthType && f != F::kArpOp) lay(f);
  }

  // Fragments: "first" implies "fragment". flower reads L4 from no fragment, first ones included
  // (no FLOW_DISSECTOR_F_PARSE_1ST_FRAG), so a rule with L4 keys needs a whole packet.
  const ir::MaskedValue* flags = match.get(F::kIpFlags);
  const uint8_t fmask = flags ? flags->mask[0] : 0;
  if ((m.frag & ir::kIpFlagFirstFrag) && !(m.frag & ir::kIpFlagIsFragment) &&
      !(fmask & ir::kIpFlagIsFragment))
    m.frag |= ir::kIpFlagIsFragment;
  if (needs_l4(rule)) m.frag = 0;

  for (auto [range, port] :
       {std::pair{&match.src_port_range, &m.sport}, std::pair{&match.dst_port_range, &m.dport}}) {
    if (!*range) continue;
    const auto [lo, hi] = **range;
    *port = static_cast<uint16_t>(r.chance(0.2) ? lo : r.chance(0.25) ? hi : r.range(lo, hi));
  }

  if (const ir::MaskedValue* op = match.get(F::kArpOp)) {  // a valid op (1 or 2) where one fits
    const uint8_t v = op->value[0], mk = op->mask[0];
    uint8_t chosen = static_cast<uint8_t>((m.arp_op & ~mk) | (v & mk));
    for (uint8_t cand : {uint8_t(r.chance(0.5) ? 1 : 2), uint8_t(1), uint8_t(2)})
      if ((cand & mk) == (v & mk)) {
        chosen = cand;
        break;
      }
    m.arp_op = chosen;
  }
  if (m.ethertype == 0x0806 ||
      m.ethertype == 0x8035) {  // a well-formed ARP header, so its keys are read
    m.arp_hrd = 1, m.arp_pro = 0x0800, m.arp_hln = 6, m.arp_pln = 4;
    if (m.arp_op != 1 && m.arp_op != 2 && !match.has(F::kArpOp)) m.arp_op = 1;
  }

  if (!match.mpls.empty()) {
    std::optional<uint8_t> bottom;  // bos 1 keyed here: the stack ends at this depth
    uint8_t below_zero = 0;         // deepest depth keyed bos 0: the stack goes on past it
    for (const auto& lse : match.mpls) {
      while (m.mpls.size() < lse.depth) m.mpls.push_back(MplsEntry{100, 0, 0, 64});
      MplsEntry& e = m.mpls[lse.depth - 1];
      if (lse.label) e.label = *lse.label;
      if (lse.tc) e.tc = *lse.tc;
      if (lse.ttl) e.ttl = *lse.ttl;
      if (lse.bos && *lse.bos) bottom = lse.depth;
      if (lse.bos && !*lse.bos) below_zero = lse.depth;
    }
    if (bottom) m.mpls.resize(*bottom);
    if (!bottom && m.mpls.size() <= below_zero) m.mpls.push_back(MplsEntry{200, 0, 0, 64});
    fix_mpls_bos(m);
  }

  if (match.indev)
    if (auto ifindex = resolve_gen_device(*match.indev)) m.ifindex = *ifindex;
}

// The goto rules that lead from chain 0 to `target`'s chain, outermost first; prefers rules whose
// keys agree with the target's so one frame can meet them all.
inline std::vector<size_t> goto_path(Rand& r, const GenRuleSet& set, size_t target) {
  auto agrees = [](const GenRule& a, const GenRule& b) {
    if (a.protocol != ir::kEthPAll && b.protocol != ir::kEthPAll && a.protocol != b.protocol)
      return false;
    for (size_t i = 0; i < ir::kFieldCount; ++i) {
      const auto &x = a.match.fields[i], &y = b.match.fields[i];
      if (!x || !y) continue;
      for (size_t k = 0; k < ir::kMaxFieldWidth; ++k)
        if ((x->value[k] ^ y->value[k]) & x->mask[k] & y->mask[k]) return false;
    }
    return true;
  };
  std::vector<size_t> path;
  uint32_t chain = set.rules[target].chain;
  while (chain > 0) {
    std::vector<size_t> any, good;
    for (size_t i = 0; i < set.rules.size(); ++i) {
      const GenRule& g = set.rules[i];
      if (g.effect != Effect::kGotoChain || g.goto_chain != chain || g.chain >= chain) continue;
      any.push_back(i);
      if (agrees(g, set.rules[target]) && !g.punt_match) good.push_back(i);
    }
    if (any.empty()) break;
    const size_t p = r.pick(good.empty() ? any : good);
    path.insert(path.begin(), p);
    chain = set.rules[p].chain;
  }
  return path;
}

// A model meeting rule `index` and (best effort) the goto rules on its way.
inline FrameModel targeted_model(Rand& r, const GenRuleSet& set, size_t index) {
  FrameModel m = random_model(r);
  for (size_t p : goto_path(r, set, index)) apply_rule(r, m, set.rules[p]);
  apply_rule(r, m, set.rules[index]);
  return m;
}

inline GenFrame targeted_frame(Rand& r, const GenRuleSet& set, size_t index) {
  FrameModel m = targeted_model(r, set, index);
  GenFrame f{build_frame(m).bytes, m.ifindex, FrameKind::kTargeted, index, {}};
  f.note = "targeted at line " + std::to_string(set.rules[index].line_no);
  return f;
}

namespace detail {

// Flips one bit of a masked field; the last bit of a prefix half the time ("just outside").
inline bool miss_field(Rand& r, FrameModel& m, ir::Field f, const ir::MaskedValue& mv,
                       std::string& note) {
  const auto& info = ir::field_info(f);
  std::vector<size_t> bits;  // bit positions, 0 = most significant of byte 0
  for (size_t i = 0; i < info.width; ++i)
    for (int b = 7; b >= 0; --b)
      if (mv.mask[i] >> b & 1) {
        const size_t pos = i * 8 + (7 - b);
        const size_t from_lsb = info.width * 8 - 1 - pos;
        if (info.valid_mask && from_lsb < 64 && !(info.valid_mask >> from_lsb & 1)) continue;
        bits.push_back(pos);
      }
  if (bits.empty()) return false;
  const size_t pos = r.chance(0.5) ? bits.back() : r.pick(bits);
  ir::Bytes16 v = read_field(m, f);
  v[pos / 8] ^= static_cast<uint8_t>(0x80 >> (pos % 8));
  write_field(m, f, v);
  note = std::string(info.name) + " bit " + std::to_string(pos) + " flipped";
  return true;
}

inline bool miss_ip_flags(Rand& r, FrameModel& m, const ir::MaskedValue& mv, std::string& note) {
  const uint8_t mask = mv.mask[0], value = mv.value[0] & mask;
  std::vector<uint8_t> states;
  for (uint8_t s : {uint8_t{0}, uint8_t{ir::kIpFlagIsFragment | ir::kIpFlagFirstFrag},
                    uint8_t{ir::kIpFlagIsFragment}})
    if ((s & mask) != value) states.push_back(s);
  if (states.empty()) return false;
  m.frag = r.pick(states);
  note = "ip_flags state " + std::to_string(m.frag);
  return true;
}

// Only ops 1 and 2 are dissected; any other leaves the ARP keys zero, which a zero key would match.
inline bool miss_arp_op(Rand& r, FrameModel& m, const ir::MaskedValue& mv, std::string& note) {
  std::vector<uint16_t> ops;
  for (uint16_t op : {1, 2})
    if ((op & mv.mask[0]) != (mv.value[0] & mv.mask[0])) ops.push_back(op);
  if (ops.empty()) return false;
  m.arp_op = r.pick(ops);
  note = "arp_op " + std::to_string(m.arp_op);
  return true;
}

inline bool miss_mpls(Rand& r, FrameModel& m, const ir::MplsLseMatch& lse, std::string& note) {
  MplsEntry& e = m.mpls[lse.depth - 1];
  std::vector<int> options;
  if (lse.label) options.push_back(0);
  if (lse.tc) options.push_back(1);
  if (lse.ttl) options.push_back(2);
  if (lse.bos) options.push_back(3);
  options.push_back(4);  // a stack too short to reach this depth
  const std::string at = " at depth " + std::to_string(lse.depth);
  switch (r.pick(options)) {
    case 0: e.label ^= 1u << r.below(20), note = "mpls label" + at; break;
    case 1: e.tc ^= 1u << r.below(3), note = "mpls tc" + at; break;
    case 2: e.ttl ^= 1u << r.below(8), note = "mpls ttl" + at; break;
    case 3:
      if (*lse.bos)
        m.mpls.push_back(MplsEntry{300, 0, 1, 64});
      else
        m.mpls.resize(lse.depth);
      fix_mpls_bos(m);
      note = "mpls bos" + at;
      break;
    default:
      m.mpls.resize(lse.depth - 1u);
      fix_mpls_bos(m);
      if (m.mpls.empty()) {  // nothing may follow, or its bytes would read as a label entry
        m.payload.clear();
        m.mpls_inner_ipv4 = false;
        m.pad_to = 0;
      }
      note = "mpls stack shorter than depth " + std::to_string(lse.depth);
  }
  return true;
}

inline bool miss_protocol(Rand& r, FrameModel& m, uint16_t protocol, std::string& note) {
  if (protocol == ir::kEthPAll) return false;
  if (is_vlan_type(protocol)) {
    if (r.chance(0.5)) {
      m.tags[0].tpid = protocol == kEth8021Q ? kEth8021AD : kEth8021Q;
    } else {
      m.tags.clear();
    }
  } else if (r.chance(0.5)) {
    m.tags.insert(m.tags.begin(), VlanTag{r.pick<uint16_t>({kEth8021Q, kEth8021AD}), 0, 0, 5});
  } else {
    uint16_t other;
    do other = r.pick<uint16_t>({kEthIp, kEthIpv6, kEthArp, kEthMplsUc, 0x88cc});
    while (other == protocol);
    m.ethertype = other;
  }
  note = "protocol";
  return true;
}

}  // namespace detail

// A frame built to meet rule `index` except for one key, chosen at random among its keys: a bit of
// a masked value (often the last prefix bit), a port just below or above a range, an MPLS entry,
// the fragment state, the protocol, or the ingress device. nullopt if the rule keys nothing that
// can be missed (protocol all, no keys, /0 prefixes).
inline std::optional<GenFrame> near_miss_frame(Rand& r, const GenRuleSet& set, size_t index) {
  using namespace detail;
  using F = ir::Field;
  const GenRule& rule = set.rules[index];
  FrameModel m = targeted_model(r, set, index);
  // Candidates: 0..kFieldCount-1 fields, then ranges, MPLS entries, protocol, indev.
  enum : size_t { kSrcRange = ir::kFieldCount, kDstRange, kProtocol, kIndev, kMpls };
  std::vector<size_t> candidates;
  for (size_t i = 0; i < ir::kFieldCount; ++i)
    if (rule.match.fields[i] && frame_field(static_cast<F>(i))) candidates.push_back(i);
  if (rule.match.src_port_range) candidates.push_back(kSrcRange);
  if (rule.match.dst_port_range) candidates.push_back(kDstRange);
  if (rule.protocol != ir::kEthPAll) candidates.push_back(kProtocol);
  if (rule.match.indev && resolve_gen_device(*rule.match.indev)) candidates.push_back(kIndev);
  for (size_t i = 0; i < rule.match.mpls.size(); ++i) candidates.push_back(kMpls + i);

  std::string note;
  while (!candidates.empty()) {
    const size_t pick = r.below(candidates.size());
    const size_t c = candidates[pick];
    candidates.erase(candidates.begin() + static_cast<long>(pick));
    bool done = false;
    if (c < ir::kFieldCount) {
      const F f = static_cast<F>(c);
      const auto& mv = *rule.match.get(f);
      done = f == F::kIpFlags ? miss_ip_flags(r, m, mv, note)
             : f == F::kArpOp ? miss_arp_op(r, m, mv, note)
                              : miss_field(r, m, f, mv, note);
    } else if (c == kSrcRange || c == kDstRange) {
      const ir::PortRange pr =
          c == kSrcRange ? *rule.match.src_port_range : *rule.match.dst_port_range;
      uint16_t& port = c == kSrcRange ? m.sport : m.dport;
      const bool can_low = pr.min > 0, can_high = pr.max < 65535;
      if (can_low || can_high) {
        const bool low = can_low && (!can_high || r.chance(0.5));
        port = static_cast<uint16_t>(low ? pr.min - 1 : pr.max + 1);
        note = std::string(c == kSrcRange ? "src_port " : "dst_port ") + std::to_string(port) +
               " outside " + std::to_string(pr.min) + "-" + std::to_string(pr.max);
        done = true;
      }
    } else if (c == kProtocol) {
      done = miss_protocol(r, m, rule.protocol, note);
    } else if (c == kIndev) {
      const uint32_t want = *resolve_gen_device(*rule.match.indev);
      m.ifindex = want == 1 ? 2 : 1;
      note = "ingress ifindex " + std::to_string(m.ifindex);
      done = true;
    } else {
      done = miss_mpls(r, m, rule.match.mpls[c - kMpls], note);
    }
    if (done) {
      GenFrame f{build_frame(m).bytes, m.ifindex, FrameKind::kNearMiss, index, {}};
      f.note = "near miss of line " + std::to_string(rule.line_no) + ": " + note;
      return f;
    }
  }
  return std::nullopt;
}

inline GenFrame random_frame(Rand& r) {
  FrameModel m = random_model(r);
  return GenFrame{build_frame(m).bytes, m.ifindex, FrameKind::kRandom, std::nullopt, "random"};
}

namespace detail {
// Half the time aimed at a rule, so the damage lands in headers the rules look at.
inline FrameModel some_model(Rand& r, const GenRuleSet& set) {
  if (!set.rules.empty() && r.chance(0.5)) return targeted_model(r, set, r.below(set.rules.size()));
  return random_model(r);
}
}  // namespace detail

// A frame cut short: at a header boundary give or take a few bytes, or anywhere.
inline GenFrame truncated_frame(Rand& r, const GenRuleSet& set) {
  FrameModel m = detail::some_model(r, set);
  m.pad_to = 0;
  BuiltFrame b = build_frame(m);
  size_t cut;
  if (r.chance(0.6)) {
    const size_t at = r.pick(b.boundaries);
    const size_t delta = r.below(4);
    cut = r.chance(0.5) ? (at >= delta ? at - delta : 0) : at + delta;
  } else {
    cut = r.below(b.bytes.size());
  }
  if (cut >= b.bytes.size()) cut = b.bytes.size() ? b.bytes.size() - 1 : 0;
  GenFrame f{b.bytes, m.ifindex, FrameKind::kTruncated, std::nullopt, {}};
  f.note = "cut at " + std::to_string(cut) + " of " + std::to_string(f.bytes.size());
  f.bytes.resize(cut);
  return f;
}

// An IP frame whose length fields lie: IPv4 ihl < 5, ihl past the end, total length too long or
// too short; IPv6 payload length too long or too short.
inline GenFrame bad_length_frame(Rand& r, const GenRuleSet& set) {
  using detail::set16;
  FrameModel m = detail::some_model(r, set);
  if (m.ethertype != 0x0800 && m.ethertype != 0x86dd) {
    m.ethertype = r.chance(0.7) ? 0x0800 : 0x86dd;
    if (m.ethertype == 0x86dd) {
      detail::random_ipv6(r, m.ip_src.data());
      detail::random_ipv6(r, m.ip_dst.data());
    }
  }
  BuiltFrame b = build_frame(m);
  auto& bytes = b.bytes;
  GenFrame f{{}, m.ifindex, FrameKind::kBadLength, std::nullopt, {}};
  if (b.ipv4_at) {
    const size_t at = *b.ipv4_at;
    const size_t ihl = (bytes[at] & 0x0f) * 4u;
    const size_t avail = bytes.size() - at;
    switch (r.below(4)) {
      case 0: {
        const uint8_t bad = static_cast<uint8_t>(r.below(5));
        bytes[at] = 0x40 | bad;
        f.note = "ipv4 ihl " + std::to_string(bad);
        break;
      }
      case 1: {  // the options would run past the end of the frame
        bytes[at] = 0x4f;
        bytes.resize(std::min(bytes.size(), at + static_cast<size_t>(r.range(20, 59))));
        f.note = "ipv4 ihl 15 past the end";
        break;
      }
      case 2: {
        const size_t tot = std::min<size_t>(avail + r.range(1, 1500), 0xffff);
        set16(bytes, at + 2, static_cast<uint16_t>(tot));
        f.note = "ipv4 total length " + std::to_string(tot) + " > " + std::to_string(avail);
        break;
      }
      default: {
        const size_t tot = r.below(ihl);
        set16(bytes, at + 2, static_cast<uint16_t>(tot));
        f.note = "ipv4 total length " + std::to_string(tot) + " < header " + std::to_string(ihl);
      }
    }
  } else if (b.ipv6_at) {
    const size_t at = *b.ipv6_at;
    const size_t avail = bytes.size() - at - 40;
    const size_t plen = r.chance(0.5) ? avail + r.range(1, 1500) : r.below(avail + 1) / 2;
    set16(bytes, at + 4, static_cast<uint16_t>(std::min<size_t>(plen, 0xffff)));
    f.note = "ipv6 payload length " + std::to_string(plen) + " vs " + std::to_string(avail);
  }
  f.bytes = std::move(bytes);
  return f;
}

// Shorter than an Ethernet header: a random stub or the start of a real frame.
inline GenFrame runt_frame(Rand& r) {
  GenFrame f = random_frame(r);
  f.kind = FrameKind::kRunt;
  f.bytes.resize(r.below(14));
  if (r.chance(0.5))
    for (auto& b : f.bytes) b = r.byte();
  f.note = "runt of " + std::to_string(f.bytes.size()) + " bytes";
  return f;
}

inline std::vector<GenFrame> generate_frames(Rand& r, const GenRuleSet& set, size_t count,
                                             const PacketMix& mix = {}) {
  std::vector<GenFrame> out;
  out.reserve(count);
  const bool rules = !set.rules.empty();
  while (out.size() < count) {
    const size_t kind = r.weighted({rules ? mix.targeted : 0, rules ? mix.near_miss : 0, mix.random,
                                    mix.truncated, mix.bad_length, mix.runt});
    switch (kind) {
      case 0: out.push_back(targeted_frame(r, set, r.below(set.rules.size()))); break;
      case 1:
        if (auto f = near_miss_frame(r, set, r.below(set.rules.size()))) {
          out.push_back(std::move(*f));
          break;
        }
        [[fallthrough]];
      case 2: out.push_back(random_frame(r)); break;
      case 3: out.push_back(truncated_frame(r, set)); break;
      case 4: out.push_back(bad_length_frame(r, set)); break;
      default: out.push_back(runt_frame(r));
    }
  }
  return out;
}

// `count` frames for `set`: the same seed and rule set always give the same frames.
inline std::vector<GenFrame> generate_frames(uint64_t seed, const GenRuleSet& set, size_t count,
                                             const PacketMix& mix = {}) {
  Rand r(seed ^ 0x9e3779b97f4a7c15ull);  // not the rule generator's stream for the same seed
  return generate_frames(r, set, count, mix);
}

}  // namespace tc2xdp::testing::gen
