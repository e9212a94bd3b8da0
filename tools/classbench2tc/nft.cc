#include "nft.h"

#include <sstream>

namespace classbench {

namespace {

// Full-length prefixes print as plain addresses, as nft lists them.
std::string nft_address(const Prefix& p) {
  std::string text = format_prefix(p);
  return p.len == 32 ? text.substr(0, text.find('/')) : text;
}

const char* l4_name(uint8_t proto) {
  switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
  }
  return nullptr;
}

void append_ports(std::ostringstream& out, const char* l4, const char* key, const PortSpan& span) {
  if (span.lo == 0 && span.hi == 65535) return;
  out << ' ' << l4 << ' ' << key << ' ' << span.lo;
  if (span.hi != span.lo) out << '-' << span.hi;
}

}  // namespace

std::string to_nft_rule(const Filter& f, uint32_t pref, ActionPolicy policy) {
  std::ostringstream out;
  // nft adds the `meta protocol ip` dependency of ip payload matches itself; a rule with no ip
  // match still has to say it (flower's `protocol ip`).
  if (f.src.len > 0) out << " ip saddr " << nft_address(f.src);
  if (f.dst.len > 0) out << " ip daddr " << nft_address(f.dst);
  if (!f.proto_wildcard) {
    const char* l4 = l4_name(f.proto);
    if (l4)
      out << " ip protocol " << l4;
    else
      out << " ip protocol " << unsigned{f.proto};
    if (l4) {
      append_ports(out, l4, "sport", f.sport);
      append_ports(out, l4, "dport", f.dport);
    }
  }
  if (out.tellp() == 0) out << " meta protocol ip";
  out << " counter " << (drops(policy, pref) ? "drop" : "accept");
  return out.str().substr(1);
}

std::string to_nft(const std::vector<Filter>& filters, const NftOptions& options) {
  std::ostringstream out;
  out << "table netdev " << options.table << " {\n"
      << "\tchain " << options.chain << " {\n"
      << "\t\ttype filter hook ingress device \"" << options.device
      << "\" priority 0; policy accept;\n";
  for (size_t i = 0; i < filters.size(); ++i)
    out << "\t\t" << to_nft_rule(filters[i], static_cast<uint32_t>(i + 1), options.policy) << "\n";
  out << "\t\tcounter comment \"miss\"\n"
      << "\t}\n"
      << "}\n";
  return out.str();
}

}  // namespace classbench
