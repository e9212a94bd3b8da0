// ct (tc/m_ct.c): conntrack lookup, commit, NAT, clear; default verb pipe. Unlike most actions,
// its index comes before the verb.
#include "action_parser.h"
#include "numbers.h"

namespace tc2xdp::frontend::tc {

namespace {
using Nat = ir::CtAction::Nat;

void parse_nat_addrs(TokenStream& ts, const Token& range, ir::CtAction& c) {
  const std::string& w = range.text;
  const size_t dash = w.find('-');
  auto lo = parse_prefix(std::string_view(w).substr(0, dash), 0);
  std::optional<Prefix> hi = lo;
  if (lo && dash != std::string::npos)
    hi = parse_prefix(std::string_view(w).substr(dash + 1), lo->ipv6 ? 6 : 4);
  if (!lo || !hi || w.find('/') != std::string::npos)
    ts.fail(range, "invalid NAT address range '" + w + "'", "ADDR or MIN-MAX, both of one family");
  c.nat_ipv6 = lo->ipv6;
  c.nat_min_ip = lo->addr;
  c.nat_max_ip = hi->addr;
}

void parse_nat_ports(TokenStream& ts, const Token& range, ir::CtAction& c) {
  const std::string& w = range.text;
  const size_t dash = w.find('-');
  auto lo = parse_unsigned(std::string_view(w).substr(0, dash), 10, 0xffff);
  auto hi = dash == std::string::npos
                ? lo
                : parse_unsigned(std::string_view(w).substr(dash + 1), 10, 0xffff);
  if (!lo || !hi) ts.fail(range, "invalid NAT port range '" + w + "'", "PORT or MIN-MAX, decimal");
  c.nat_min_port = static_cast<uint16_t>(*lo);
  c.nat_max_port = static_cast<uint16_t>(*hi);
}
}  // namespace

ir::Action parse_ct(TokenStream& ts) {
  const Token& kind = ts.next();
  ir::CtAction c;
  ir::Action a;
  const Token* nat_word = nullptr;
  while (!ts.at_end()) {
    const Token& k = ts.peek();
    const std::string& w = k.text;
    if (matches(w, "zone")) {
      ts.next();
      const Token& n = ts.argument(k, "ZONE");
      auto z = parse_unsigned(n.text, 0, 0xffff);
      if (!z) ts.fail(n, "invalid ct zone '" + n.text + "'", "a zone from 0 to 65535");
      c.zone = static_cast<uint16_t>(*z);
    } else if (matches(w, "nat")) {
      ts.next();
      nat_word = &k;
      if (c.nat == Nat::kNone) c.nat = Nat::kRestore;
      if (ts.at_end()) ts.argument(k, "src, dst or another option");
      const Token& dir = ts.peek();
      if (!matches(dir.text, "src") && !matches(dir.text, "dst")) continue;  // re-read it
      ts.next();
      if (c.nat == Nat::kSrc || c.nat == Nat::kDst)
        ts.fail(dir, "ct src and dst nat can't be used together", "use one nat clause");
      c.nat = matches(dir.text, "src") ? Nat::kSrc : Nat::kDst;
      const Token& addr_word = ts.argument(dir, "'addr RANGE'");
      if (!matches(addr_word.text, "addr"))
        ts.fail(addr_word, "ct nat " + dir.text + " needs 'addr RANGE'",
                "write 'nat src addr 10.0.0.1'");
      const Token& addrs = ts.argument(addr_word, "RANGE");
      parse_nat_addrs(ts, addrs, c);
      if (ts.at_end())  // m_ct.c insists on another word after the range
        ts.fail_at(ts.end_location(), "ct nat needs another word after the address range",
                   addrs.text, "end the action with a verb such as pipe");
      if (!ts.peek_matches("port")) continue;
      const Token& port_word = ts.next();
      parse_nat_ports(ts, ts.argument(port_word, "RANGE"), c);
      continue;
    } else if (matches(w, "clear")) {
      ts.next();
      c.clear = true;
    } else if (matches(w, "commit")) {
      ts.next();
      c.commit = true;
    } else if (matches(w, "force")) {
      ts.next();
      c.force = true;
    } else if (matches(w, "index")) {
      ts.next();
      a.index = parse_index_value(ts, k);
    } else if (matches(w, "mark")) {
      ts.next();
      const Token& n = ts.argument(k, "MARK[/MASK]");
      const Slash sl = split_slash(n.text);
      auto mark = parse_unsigned(sl.value, 0, 0xffffffff);
      auto mask = sl.has_mask ? parse_unsigned(sl.mask, 0, 0xffffffff) : std::optional<uint64_t>(0);
      if (!mark || !mask)
        ts.fail(n, "invalid ct mark '" + n.text + "'", "MARK or MARK/MASK, 32-bit numbers");
      c.mark = static_cast<uint32_t>(*mark);
      if (sl.has_mask) c.mark_mask = static_cast<uint32_t>(*mask);
    } else if (matches(w, "label") || matches(w, "helper")) {
      ts.fail(k, "ct " + w + " is not supported by tc2xdp", "remove it");
    } else {
      break;
    }
  }
  const bool nat_dir = c.nat == Nat::kSrc || c.nat == Nat::kDst;
  if (c.clear && (c.commit || c.force || c.nat != Nat::kNone || c.zone || c.mark))
    ts.fail(kind, "ct clear can only be used alone", "write 'ct clear' as its own action");
  if (nat_dir && !c.commit)
    ts.fail(*nat_word, "ct nat src/dst is only valid with commit",
            "write 'ct commit nat src addr ...'");
  if (c.commit && c.nat == Nat::kRestore)
    ts.fail(*nat_word, "ct commit with nat must say src or dst",
            "write 'ct commit nat src addr ...'");
  a.control = parse_control_or(ts, ir::Control{ir::ControlKind::kPipe});
  a.body = c;
  return a;
}

std::string print_ct(const ir::CtAction& c, const ir::Action& a) {
  std::string s = "ct";
  if (c.clear) s += " clear";
  if (c.commit) s += " commit";
  if (c.force) s += " force";
  if (c.zone) s += " zone " + std::to_string(c.zone);
  if (c.mark) {
    s += " mark " + format_hex(*c.mark);
    if (c.mark_mask) s += "/" + format_hex(*c.mark_mask);
  }
  if (c.nat != Nat::kNone) {
    s += " nat";
    if (c.nat == Nat::kSrc || c.nat == Nat::kDst) {
      s += c.nat == Nat::kSrc ? " src" : " dst";
      auto addr = [&](const std::array<uint8_t, 16>& ip) {
        return c.nat_ipv6 ? format_ipv6(ip.data()) : format_ipv4(ip.data());
      };
      if (c.nat_min_ip) {
        s += " addr " + addr(*c.nat_min_ip);
        if (c.nat_max_ip && *c.nat_max_ip != *c.nat_min_ip) s += "-" + addr(*c.nat_max_ip);
      }
      if (c.nat_min_port) {
        s += " port " + std::to_string(*c.nat_min_port);
        if (c.nat_max_port && *c.nat_max_port != *c.nat_min_port)
          s += "-" + std::to_string(*c.nat_max_port);
      }
    }
  }
  return s + format_index(a) + " " + format_control(a.control);
}

}  // namespace tc2xdp::frontend::tc
