#include "classbench.h"

#include <cstdio>
#include <sstream>

namespace classbench {

namespace {

bool parse_prefix(const std::string& word, Prefix& out) {
  unsigned a, b, c, d;
  int len;
  char tail;
  if (std::sscanf(word.c_str(), "%u.%u.%u.%u/%d%c", &a, &b, &c, &d, &len, &tail) != 5) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255 || len < 0 || len > 32) return false;
  out.addr = (a << 24) | (b << 16) | (c << 8) | d;
  out.len = len;
  return true;
}

bool parse_u16(const std::string& word, uint16_t& out) {
  char* end = nullptr;
  unsigned long v = std::strtoul(word.c_str(), &end, 10);
  if (word.empty() || *end != '\0' || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

void append_ports(std::ostringstream& out, const char* key, const PortSpan& span) {
  if (span.lo == 0 && span.hi == 65535) return;
  out << ' ' << key << ' ' << span.lo;
  if (span.hi != span.lo) out << '-' << span.hi;
}

// tc reads a numeric ip_proto as hex (get_u8 base 16), so numbers are written as 0x...
std::string proto_name(uint8_t proto) {
  switch (proto) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    case 58: return "icmpv6";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", proto);
  return buf;
}

}  // namespace

std::string format_prefix(const Prefix& p) {
  const uint32_t a = p.len == 0 ? 0 : p.addr & (0xffffffffu << (32 - p.len));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%d", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                a & 0xff, p.len);
  return buf;
}

std::string to_classbench_line(const Filter& f) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "@%s\t%s\t%u : %u\t%u : %u\t0x%02X/0x%s\t0x0000/0x0000\t",
                format_prefix(f.src).c_str(), format_prefix(f.dst).c_str(), f.sport.lo, f.sport.hi,
                f.dport.lo, f.dport.hi, f.proto_wildcard ? 0 : f.proto,
                f.proto_wildcard ? "00" : "FF");
  return buf;
}

std::optional<Filter> parse_line(std::string_view line, std::string& error) {
  std::istringstream in{std::string(line)};
  std::string src, dst, sport_lo, colon1, sport_hi, dport_lo, colon2, dport_hi, proto, flags;
  if (!(in >> src >> dst >> sport_lo >> colon1 >> sport_hi >> dport_lo >> colon2 >> dport_hi >>
        proto >> flags)) {
    error = "expected 10 fields: @SRC/LEN DST/LEN LO : HI LO : HI PROTO/MASK FLAGS/MASK";
    return std::nullopt;
  }
  Filter f;
  if (src.empty() || src[0] != '@' || !parse_prefix(src.substr(1), f.src)) {
    error = "bad source prefix '" + src + "'";
    return std::nullopt;
  }
  if (!parse_prefix(dst, f.dst)) {
    error = "bad destination prefix '" + dst + "'";
    return std::nullopt;
  }
  if (colon1 != ":" || colon2 != ":" || !parse_u16(sport_lo, f.sport.lo) ||
      !parse_u16(sport_hi, f.sport.hi) || !parse_u16(dport_lo, f.dport.lo) ||
      !parse_u16(dport_hi, f.dport.hi) || f.sport.lo > f.sport.hi || f.dport.lo > f.dport.hi) {
    error = "bad port range";
    return std::nullopt;
  }
  unsigned value, mask;
  if (std::sscanf(proto.c_str(), "%x/%x", &value, &mask) != 2 || value > 255 ||
      (mask != 0 && mask != 0xff)) {
    error = "bad protocol '" + proto + "' (flower matches ip_proto exactly or not at all)";
    return std::nullopt;
  }
  f.proto_wildcard = mask == 0;
  f.proto = static_cast<uint8_t>(value);
  const bool has_ports =
      !(f.sport.lo == 0 && f.sport.hi == 65535) || !(f.dport.lo == 0 && f.dport.hi == 65535);
  if (has_ports && (f.proto_wildcard || (f.proto != 6 && f.proto != 17 && f.proto != 132))) {
    error = "ports need protocol tcp, udp or sctp in flower";
    return std::nullopt;
  }
  return f;
}

std::string to_tc(const Filter& f, uint32_t pref, std::string_view dev, ActionPolicy policy,
                  uint32_t chain, uint32_t tc_pref) {
  std::ostringstream out;
  out << "filter add dev " << dev << " ingress ";
  if (chain) out << "chain " << chain << ' ';
  out << "pref " << (tc_pref ? tc_pref : pref) << " protocol ip flower";
  if (!f.proto_wildcard) out << " ip_proto " << proto_name(f.proto);
  if (f.src.len > 0) out << " src_ip " << format_prefix(f.src);
  if (f.dst.len > 0) out << " dst_ip " << format_prefix(f.dst);
  append_ports(out, "src_port", f.sport);
  append_ports(out, "dst_port", f.dport);
  out << " action " << (drops(policy, pref) ? "drop" : "pass");
  return out.str();
}

std::string to_tc_batch(const std::vector<Filter>& filters, std::string_view dev,
                        ActionPolicy policy) {
  std::string out;
  for (size_t i = 0; i < filters.size(); ++i) {
    const uint32_t chain = tc_chain_of(i);
    out += to_tc(filters[i], i + 1, dev, policy, chain, tc_pref_of(i)) + "\n";
    if (tc_pref_of(i) == kRulesPerChain && i + 1 < filters.size()) {
      out += "filter add dev " + std::string(dev) + " ingress ";
      if (chain) out += "chain " + std::to_string(chain) + ' ';
      out += "pref 65535 protocol all flower action goto chain " + std::to_string(chain + 1) + "\n";
    }
  }
  return out;
}

}  // namespace classbench
