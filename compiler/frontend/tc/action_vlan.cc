// vlan (tc/m_vlan.c): pop, push, modify, pop_eth, push_eth; default verb pipe.
#include "action_parser.h"
#include "numbers.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc {

namespace {
using Op = ir::VlanAction::Op;
constexpr uint16_t kVlanIdMax = 4094;  // the kernel rejects push_vid >= VLAN_VID_MASK
}  // namespace

ir::Action parse_vlan(TokenStream& ts) {
  const Token& kind = ts.next();
  if (ts.at_end()) ts.argument(kind, "pop, push or modify");
  ir::VlanAction v;
  const Token* op_word = nullptr;
  bool id_set = false, dst_set = false, src_set = false;
  auto set_op = [&](const Token& t, Op op) {
    if (op_word) ts.fail(t, "vlan operation given twice", "one of pop, push, modify per action");
    op_word = &t;
    v.op = op;
  };
  auto push_like = [&](const Token& t) {
    if (!op_word || (v.op != Op::kPush && v.op != Op::kModify))
      ts.fail(t, "'" + t.text + "' is only valid for vlan push or modify",
              "write 'vlan push id N " + t.text + " ...'");
  };
  while (!ts.at_end()) {
    const std::string& w = ts.peek().text;
    if (matches(w, "pop"))
      set_op(ts.next(), Op::kPop);
    else if (matches(w, "push"))
      set_op(ts.next(), Op::kPush);
    else if (matches(w, "modify"))
      set_op(ts.next(), Op::kModify);
    else if (matches(w, "pop_eth"))
      set_op(ts.next(), Op::kPopEth);
    else if (matches(w, "push_eth"))
      set_op(ts.next(), Op::kPushEth);
    else if (matches(w, "id")) {
      const Token& k = ts.next();
      push_like(k);
      const Token& n = ts.argument(k, "VID");
      auto id = parse_unsigned(n.text, 0, 0xffff);
      if (!id || *id > kVlanIdMax)
        ts.fail(n, "invalid vlan id '" + n.text + "'", "a VLAN id from 0 to 4094");
      v.id = static_cast<uint16_t>(*id);
      id_set = true;
    } else if (matches(w, "protocol")) {
      const Token& k = ts.next();
      push_like(k);
      const Token& p = ts.argument(k, "PROTOCOL");
      auto t = parse_ethertype(p.text);
      if (!t || (*t != 0x8100 && *t != 0x88a8))
        ts.fail(p, "invalid vlan protocol '" + p.text + "'", "802.1q or 802.1ad");
      v.protocol = *t;
    } else if (matches(w, "priority")) {
      const Token& k = ts.next();
      push_like(k);
      const Token& p = ts.argument(k, "PRIORITY");
      auto prio = parse_unsigned(p.text, 0, 7);
      if (!prio) ts.fail(p, "invalid vlan priority '" + p.text + "'", "a priority from 0 to 7");
      v.priority = static_cast<uint8_t>(*prio);
    } else if (matches(w, "dst_mac") || matches(w, "src_mac")) {
      const Token& k = ts.next();
      if (!op_word || v.op != Op::kPushEth)
        ts.fail(k, "'" + k.text + "' is only valid for vlan push_eth",
                "write 'vlan push_eth dst_mac ... src_mac ...'");
      const Token& m = ts.argument(k, "LLADDR");
      auto mac = parse_mac(m.text);
      if (!mac)
        ts.fail(m, "invalid MAC address '" + m.text + "'", "six hex bytes like 00:11:22:33:44:55");
      const bool dst = matches(w, "dst_mac");
      (dst ? v.dst_mac : v.src_mac) = *mac;
      (dst ? dst_set : src_set) = true;
    } else {
      break;
    }
  }
  if (!op_word)
    ts.fail(kind, "vlan needs an operation",
            "write 'vlan pop', 'vlan push id N' or 'vlan modify id N'");
  if ((v.op == Op::kPush || v.op == Op::kModify) && !id_set)
    ts.fail(*op_word, "vlan " + op_word->text + " needs 'id N'", "write 'vlan push id 100'");
  if (v.op == Op::kPushEth && (!dst_set || !src_set))
    ts.fail(*op_word, "vlan push_eth needs dst_mac and src_mac",
            "write 'vlan push_eth dst_mac A src_mac B'");
  ir::Action a;
  a.control = parse_control_or(ts, ir::Control{ir::ControlKind::kPipe});
  a.body = v;
  parse_optional_index(ts, a);
  return a;
}

std::string print_vlan(const ir::VlanAction& v, const ir::Action& a) {
  std::string s = "vlan ";
  switch (v.op) {
    case Op::kPop: s += "pop"; break;
    case Op::kPopEth: s += "pop_eth"; break;
    case Op::kPushEth:
      s += "push_eth dst_mac " + format_mac(v.dst_mac.data()) + " src_mac " +
           format_mac(v.src_mac.data());
      break;
    case Op::kPush:
    case Op::kModify:
      s += v.op == Op::kPush ? "push" : "modify";
      s += " id " + std::to_string(v.id);
      if (v.protocol != 0x8100) s += " protocol " + ethertype_name(v.protocol);
      if (v.priority) s += " priority " + std::to_string(*v.priority);
      break;
  }
  return s + " " + format_control(a.control) + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
