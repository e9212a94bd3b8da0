// gact (tc/m_gact.c): a bare verdict, written `gact VERB` or just `VERB`.
#include "action_parser.h"

namespace tc2xdp::frontend::tc {

ir::Action parse_gact(TokenStream& ts) {
  if (ts.peek_matches("gact")) {
    const Token& kind = ts.next();
    if (ts.at_end()) ts.argument(kind, "verb");
  }
  if (ts.peek_matches("index"))
    ts.fail(ts.peek(), "binding an existing gact by index is not supported",
            "spell the verb out: 'action drop index N'");
  ir::Action a;
  ir::GactAction g{parse_control(ts)};
  if (ts.peek_matches("random"))
    ts.fail(ts.peek(), "gact random is not supported by tc2xdp", "remove the random clause");
  a.control = g.control;
  a.body = g;
  parse_optional_index(ts, a);
  return a;
}

std::string print_gact(const ir::GactAction& g, const ir::Action& a) {
  return format_control(g.control) + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
