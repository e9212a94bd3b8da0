// csum (tc/m_csum.c): which checksums to recompute; default verb ok.
#include "action_parser.h"

namespace tc2xdp::frontend::tc {

namespace {
struct CsumName {
  const char* name;
  uint32_t flag;  // TCA_CSUM_UPDATE_FLAG_*
};
// m_csum.c's order, which decides abbreviations; "ip4h"/"ipv4h" are synonyms of "iph".
constexpr CsumName kNames[] = {
    {"iph", 1}, {"ip4h", 1}, {"ipv4h", 1},    {"icmp", 2},  {"igmp", 4},
    {"tcp", 8}, {"udp", 16}, {"udplite", 32}, {"sctp", 64},
};
}  // namespace

ir::Action parse_csum(TokenStream& ts) {
  const Token& kind = ts.next();
  if (ts.at_end()) ts.argument(kind, "what to update");
  if (ts.peek_is("index"))
    ts.fail(ts.peek(), "binding an existing csum by index is not supported",
            "spell it out: 'csum iph index N'");
  ir::CsumAction c;
  while (!ts.at_end()) {
    const std::string& w = ts.peek().text;
    const CsumName* hit = nullptr;
    for (const auto& n : kNames)
      if (matches(w, n.name)) {
        hit = &n;
        break;
      }
    if (hit)
      c.flags |= hit->flag;
    else if (!(matches(w, "and") || matches(w, "or") || matches(w, "+")))
      break;
    ts.next();
  }
  if (!c.flags)
    ts.fail(kind, "csum needs what to update",
            "name headers: iph, icmp, igmp, tcp, udp, udplite, sctp");
  ir::Action a;
  a.control = parse_control_or(ts, ir::Control{ir::ControlKind::kOk});
  a.body = c;
  parse_optional_index(ts, a);
  return a;
}

std::string print_csum(const ir::CsumAction& c, const ir::Action& a) {
  std::string s = "csum";
  uint32_t printed = 0;
  for (const auto& n : kNames)
    if ((c.flags & n.flag) && !(printed & n.flag)) {
      s += std::string(" ") + n.name;
      printed |= n.flag;
    }
  return s + " " + format_control(a.control) + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
