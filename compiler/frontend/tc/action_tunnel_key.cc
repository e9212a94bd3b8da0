// tunnel_key (tc/m_tunnel_key.c): set or unset tunnel metadata; default verb pipe.
#include "action_parser.h"
#include "numbers.h"

namespace tc2xdp::frontend::tc {

namespace {
// tos/ttl: decimal, else hex, as tunnel_key_parse_tos_ttl.
uint8_t tos_ttl(TokenStream& ts, const Token& key) {
  const Token& n = ts.argument(key, "VALUE");
  auto v = parse_unsigned(n.text, 10, 0xff);
  if (!v) v = parse_unsigned(n.text, 16, 0xff);
  if (!v) ts.fail(n, "invalid " + key.text + " '" + n.text + "'", "a value from 0 to 255");
  return static_cast<uint8_t>(*v);
}
}  // namespace

ir::Action parse_tunnel_key(TokenStream& ts) {
  const Token& kind = ts.next();
  if (ts.at_end()) ts.argument(kind, "set or unset");
  ir::TunnelKeyAction t;
  const Token* op_word = nullptr;
  const Token* first_ip = nullptr;
  while (!ts.at_end()) {
    const std::string& w = ts.peek().text;
    if (matches(w, "unset") || matches(w, "set")) {
      const Token& k = ts.next();
      if (op_word) ts.fail(k, "tunnel_key operation given twice", "one of set or unset per action");
      op_word = &k;
      t.unset = matches(w, "unset");
    } else if (matches(w, "src_ip") || matches(w, "dst_ip")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "ADDRESS");
      auto p = parse_prefix(n.text, 0);
      if (!p || n.text.find('/') != std::string::npos)
        ts.fail(n, "invalid address '" + n.text + "'", "an IPv4 or IPv6 address");
      if (first_ip && p->ipv6 != t.ipv6)
        ts.fail(n, "tunnel_key src_ip and dst_ip are of different families",
                "use two IPv4 or two IPv6 addresses");
      first_ip = &n;
      t.ipv6 = p->ipv6;
      (matches(w, "src_ip") ? t.src_ip : t.dst_ip) = p->addr;
    } else if (matches(w, "id")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "KEY-ID");
      auto v = parse_unsigned(n.text, 10, 0xffffffff);
      if (!v) ts.fail(n, "invalid tunnel id '" + n.text + "'", "a decimal 32-bit key id");
      t.key_id = static_cast<uint32_t>(*v);
    } else if (matches(w, "dst_port")) {
      const Token& k = ts.next();
      const Token& n = ts.argument(k, "PORT");
      auto v = parse_unsigned(n.text, 10, 0xffff);
      if (!v) ts.fail(n, "invalid dst_port '" + n.text + "'", "a decimal UDP port");
      t.dst_port = static_cast<uint16_t>(*v);
    } else if (matches(w, "geneve_opts") || matches(w, "vxlan_opts") || matches(w, "erspan_opts")) {
      ts.fail(ts.peek(), "tunnel_key " + w + " is not supported by tc2xdp", "remove the option");
    } else if (matches(w, "tos")) {
      const Token& k = ts.next();
      t.tos = tos_ttl(ts, k);
    } else if (matches(w, "ttl")) {
      const Token& k = ts.next();
      t.ttl = tos_ttl(ts, k);
    } else if (matches(w, "csum")) {
      ts.next();
      t.no_csum = false;
    } else if (matches(w, "nocsum")) {
      ts.next();
      t.no_csum = true;
    } else if (w == "nofrag") {
      ts.fail(ts.peek(), "tunnel_key nofrag is not supported by tc2xdp", "remove it");
    } else {
      break;
    }
  }
  if (!op_word)
    ts.fail(kind, "tunnel_key needs set or unset", "write 'tunnel_key set src_ip A dst_ip B id N'");
  if (!t.unset && (!t.src_ip || !t.dst_ip))
    ts.fail(*op_word, "tunnel_key set needs src_ip and dst_ip",
            "write 'tunnel_key set src_ip A dst_ip B id N'");
  ir::Action a;
  a.control = parse_control_or(ts, ir::Control{ir::ControlKind::kPipe});
  a.body = t;
  parse_optional_index(ts, a);
  return a;
}

std::string print_tunnel_key(const ir::TunnelKeyAction& t, const ir::Action& a) {
  std::string s = t.unset ? "tunnel_key unset" : "tunnel_key set";
  auto addr = [&](const std::array<uint8_t, 16>& ip) {
    return t.ipv6 ? format_ipv6(ip.data()) : format_ipv4(ip.data());
  };
  if (t.src_ip) s += " src_ip " + addr(*t.src_ip);
  if (t.dst_ip) s += " dst_ip " + addr(*t.dst_ip);
  if (t.key_id) s += " id " + std::to_string(*t.key_id);
  if (t.dst_port) s += " dst_port " + std::to_string(*t.dst_port);
  if (t.tos) s += " tos " + format_hex(*t.tos);
  if (t.ttl) s += " ttl " + std::to_string(*t.ttl);
  if (t.no_csum) s += " nocsum";
  return s + " " + format_control(a.control) + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
