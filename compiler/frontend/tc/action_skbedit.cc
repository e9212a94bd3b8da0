// skbedit (tc/m_skbedit.c): mark, priority, queue_mapping, ptype; default verb pipe.
#include "action_parser.h"
#include "numbers.h"

namespace tc2xdp::frontend::tc {

namespace {
constexpr const char* kPtypes[] = {"host", "broadcast", "multicast", "otherhost"};  // PACKET_*
}

ir::Action parse_skbedit(TokenStream& ts) {
  const Token& kind = ts.next();
  if (ts.at_end()) ts.argument(kind, "what to edit");
  ir::SkbeditAction s;
  bool any = false;
  while (!ts.at_end()) {
    const std::string& w = ts.peek().text;
    if (matches(w, "queue_mapping")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "QUEUE");
      auto q = parse_unsigned(n.text, 10, 65535);
      if (!q)
        ts.fail(n, "invalid queue_mapping '" + n.text + "'", "a queue number from 0 to 65535");
      s.queue_mapping = static_cast<uint16_t>(*q);
    } else if (matches(w, "priority")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "PRIORITY");
      auto p = parse_classid(n.text);
      if (!p) ts.fail(n, "invalid priority '" + n.text + "'", "MAJOR:MINOR in hex, e.g. 1:10");
      s.priority = *p;
    } else if (matches(w, "mark")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "MARK[/MASK]");
      const Slash sl = split_slash(n.text);
      auto mark = parse_unsigned(sl.value, 0, 0xffffffff);
      auto mask = sl.has_mask ? parse_unsigned(sl.mask, 0, 0xffffffff) : std::optional<uint64_t>(0);
      if (!mark || !mask)
        ts.fail(n, "invalid mark '" + n.text + "'", "MARK or MARK/MASK, 32-bit numbers");
      s.mark = static_cast<uint32_t>(*mark);
      if (sl.has_mask) s.mark_mask = static_cast<uint32_t>(*mask);
    } else if (matches(w, "ptype")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "PTYPE");
      bool found = false;
      for (uint16_t i = 0; i < 4 && !found; ++i)
        if (matches(n.text, kPtypes[i])) s.ptype = i, found = true;
      if (!found)
        ts.fail(n, "invalid ptype '" + n.text + "'", "host, broadcast, multicast or otherhost");
    } else if (matches(w, "inheritdsfield")) {
      ts.next();
      s.inherit_dsfield = true;
    } else {
      break;
    }
    any = true;
  }
  if (!any)
    ts.fail(kind, "skbedit needs something to edit",
            "e.g. 'skbedit mark 1' or 'skbedit priority 1:1'");
  ir::Action a;
  a.control = parse_control_or(ts, ir::Control{ir::ControlKind::kPipe});
  a.body = s;
  parse_optional_index(ts, a);
  return a;
}

std::string print_skbedit(const ir::SkbeditAction& s, const ir::Action& a) {
  std::string out = "skbedit";
  if (s.queue_mapping) out += " queue_mapping " + std::to_string(*s.queue_mapping);
  if (s.priority) out += " priority " + format_classid(*s.priority);
  if (s.mark) {
    out += " mark " + format_hex(*s.mark);
    if (s.mark_mask) out += "/" + format_hex(*s.mark_mask);
  }
  if (s.ptype && *s.ptype < 4) out += std::string(" ptype ") + kPtypes[*s.ptype];
  if (s.inherit_dsfield) out += " inheritdsfield";
  return out + " " + format_control(a.control) + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
