#include "openflow.h"

#include <cstdio>
#include <sstream>

namespace classbench {

namespace {

std::string of_address(const Prefix& p) {
  std::string text = format_prefix(p);
  return p.len == 32 ? text.substr(0, text.find('/')) : text;
}

std::string port_match(const char* key, std::pair<uint16_t, uint16_t> piece) {
  char buf[48];
  if (piece.second == 0xffff)
    std::snprintf(buf, sizeof buf, ",%s=%u", key, piece.first);
  else
    std::snprintf(buf, sizeof buf, ",%s=0x%x/0x%x", key, piece.first, piece.second);
  return buf;
}

bool full(const PortSpan& s) {
  return s.lo == 0 && s.hi == 65535;
}

}  // namespace

std::vector<std::pair<uint16_t, uint16_t>> port_masks(const PortSpan& span) {
  std::vector<std::pair<uint16_t, uint16_t>> pieces;
  uint32_t lo = span.lo;
  const uint32_t hi = span.hi;
  while (lo <= hi) {
    // The largest aligned block starting at lo that stays inside the range.
    uint32_t size = 1;
    while (size < 65536 && lo % (size * 2) == 0 && lo + size * 2 - 1 <= hi) size *= 2;
    pieces.emplace_back(static_cast<uint16_t>(lo), static_cast<uint16_t>(~(size - 1) & 0xffff));
    lo += size;
  }
  return pieces;
}

std::vector<std::string> to_openflow_rule(const Filter& f, uint32_t pref, uint32_t table,
                                          uint32_t priority, const OpenFlowOptions& options) {
  std::ostringstream head;
  head << "table=" << table << ",priority=" << priority << ",cookie=0x" << std::hex << pref
       << std::dec << ",ip";
  if (f.src.len > 0) head << ",nw_src=" << of_address(f.src);
  if (f.dst.len > 0) head << ",nw_dst=" << of_address(f.dst);
  if (!f.proto_wildcard) head << ",nw_proto=" << unsigned{f.proto};
  const std::string action =
      ",actions=" + (drops(options.policy, pref) ? std::string("drop") : options.pass_action);
  // parse_line only lets ports through with tcp, udp or sctp, where OpenFlow's tp_* apply.
  const PortSpan any;
  const auto sports = port_masks(full(f.sport) ? any : f.sport);
  const auto dports = port_masks(full(f.dport) ? any : f.dport);
  std::vector<std::string> flows;
  for (const auto& s : sports)
    for (const auto& d : dports)
      flows.push_back(head.str() + (full(f.sport) ? "" : port_match("tp_src", s)) +
                      (full(f.dport) ? "" : port_match("tp_dst", d)) + action);
  return flows;
}

std::string to_openflow(const std::vector<Filter>& filters, const OpenFlowOptions& options) {
  std::ostringstream out;
  const uint32_t per_table = options.rules_per_table;
  const uint32_t tables = filters.empty() ? 1 : (filters.size() + per_table - 1) / per_table;
  for (uint32_t t = 0; t < tables; ++t) {
    for (uint32_t k = 0; k < per_table && t * per_table + k < filters.size(); ++k) {
      const uint32_t i = t * per_table + k;
      for (const auto& flow : to_openflow_rule(filters[i], i + 1, t, per_table - k, options))
        out << flow << "\n";
    }
    if (t + 1 < tables)
      out << "table=" << t << ",priority=0,cookie=0x" << std::hex << kContinueCookie << std::dec
          << ",actions=resubmit(," << t + 1 << ")\n";
    else
      out << "table=" << t << ",priority=0,cookie=0x0,actions=" << options.miss_action << "\n";
  }
  return out.str();
}

}  // namespace classbench
