// mirred (tc/m_mirred.c): `mirred egress|ingress redirect|mirror dev DEV`. A redirect steals the
// packet and takes no verb; a mirror continues with its verb (default pipe).
#include "action_parser.h"

namespace tc2xdp::frontend::tc {

ir::Action parse_mirred(TokenStream& ts) {
  const Token& kind = ts.next();
  ir::MirredAction m;
  const Token& dir = ts.argument(kind, "egress or ingress");
  if (matches(dir.text, "egress"))
    m.ingress = false;
  else if (matches(dir.text, "ingress"))
    m.ingress = true;
  else if (matches(dir.text, "index"))
    ts.fail(dir, "binding an existing mirred by index is not supported",
            "spell it out: 'mirred egress redirect dev DEV index N'");
  else
    ts.fail(dir, "mirred expects egress or ingress, not '" + dir.text + "'",
            "write 'mirred egress redirect dev DEV'");
  const Token& how = ts.argument(dir, "redirect or mirror");
  if (matches(how.text, "mirror"))
    m.redirect = false;
  else if (matches(how.text, "redirect"))
    m.redirect = true;
  else
    ts.fail(how, "mirred expects redirect or mirror, not '" + how.text + "'",
            "write 'mirred egress redirect dev DEV'");
  if (ts.peek_is("blockid"))
    ts.fail(ts.peek(), "mirred to a block is not supported by tc2xdp", "name a device with 'dev'");
  if (!ts.peek_matches("dev"))
    ts.fail(ts.at_end() ? how : ts.peek(), "mirred needs 'dev DEV'",
            "write 'mirred egress redirect dev eth1'");
  const Token& dev_key = ts.next();
  const Token& dev = ts.argument(dev_key, "DEV");
  if (dev.text.empty() || dev.text.size() >= 16)
    ts.fail(dev, "invalid device name '" + dev.text + "'",
            "an interface name of at most 15 characters");
  m.dev = dev.text;
  ir::Action a;
  a.control = m.redirect ? ir::Control{ir::ControlKind::kStolen}
                         : parse_control_or(ts, ir::Control{ir::ControlKind::kPipe});
  a.body = m;
  parse_optional_index(ts, a);
  return a;
}

std::string print_mirred(const ir::MirredAction& m, const ir::Action& a) {
  std::string s = "mirred ";
  s += m.ingress ? "ingress " : "egress ";
  s += m.redirect ? "redirect" : "mirror";
  s += " dev " + m.dev;
  if (!m.redirect) s += " " + format_control(a.control);
  return s + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
