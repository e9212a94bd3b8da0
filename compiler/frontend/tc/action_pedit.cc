// pedit (tc/m_pedit.c with p_eth.c, p_ip.c, p_ip6.c, p_tcp.c, p_udp.c): header rewrites as
// `munge HEADER FIELD CMD [VAL] [retain MASK]` or `munge offset N u8|u16|u32 CMD VAL`; default
// verb ok. Decrement leaves PeditKey::value zero: it means "minus one" under the field's retain.
#include <algorithm>
#include <cstring>

#include "action_parser.h"
#include "numbers.h"

namespace tc2xdp::frontend::tc {

namespace {

using Header = ir::PeditKey::Header;
using Op = ir::PeditKey::Op;

enum class ValueType : uint8_t { kU32, kIpv4, kIpv6, kMac };

struct FieldSpec {
  Header header;
  const char* name;   // canonical tc name
  const char* alias;  // a second spelling (matched as a prefix), or nullptr
  uint32_t offset;
  uint8_t width;
  ValueType type;
  uint32_t retain;  // the bits tc changes by default
  bool allow_decrement;
  bool legacy_only;  // ip fields tc allows only without "ex"
};

constexpr uint32_t kAll = 0xffffffff;
constexpr FieldSpec kFields[] = {
    {Header::kEth, "type", nullptr, 12, 2, ValueType::kU32, 0xffff, false, false},
    {Header::kEth, "dst", nullptr, 0, 6, ValueType::kMac, kAll, false, false},
    {Header::kEth, "src", nullptr, 6, 6, ValueType::kMac, kAll, false, false},
    {Header::kIp4, "src", nullptr, 12, 4, ValueType::kIpv4, kAll, false, false},
    {Header::kIp4, "dst", nullptr, 16, 4, ValueType::kIpv4, kAll, false, false},
    {Header::kIp4, "tos", "dsfield", 1, 1, ValueType::kU32, 0xff, false, false},
    {Header::kIp4, "ihl", nullptr, 0, 1, ValueType::kU32, 0x0f, false, false},
    {Header::kIp4, "ttl", nullptr, 8, 1, ValueType::kU32, 0xff, true, false},
    {Header::kIp4, "protocol", nullptr, 9, 1, ValueType::kU32, 0xff, false, false},
    {Header::kIp4, "precedence", nullptr, 1, 1, ValueType::kU32, 0xff, false, false},
    {Header::kIp4, "nofrag", nullptr, 6, 1, ValueType::kU32, 0x3f, false, false},
    {Header::kIp4, "firstfrag", nullptr, 6, 1, ValueType::kU32, 0x1f, false, false},
    {Header::kIp4, "ce", nullptr, 6, 1, ValueType::kU32, 0x80, false, false},
    {Header::kIp4, "df", nullptr, 6, 1, ValueType::kU32, 0x40, false, false},
    {Header::kIp4, "mf", nullptr, 6, 1, ValueType::kU32, 0x20, false, false},
    {Header::kIp4, "dport", nullptr, 22, 2, ValueType::kU32, 0xffff, false, true},
    {Header::kIp4, "sport", nullptr, 20, 2, ValueType::kU32, 0xffff, false, true},
    {Header::kIp4, "icmp_type", nullptr, 20, 1, ValueType::kU32, 0xff, false, true},
    {Header::kIp4, "icmp_code", nullptr, 20, 1, ValueType::kU32, 0xff, false, true},
    {Header::kIp6, "src", nullptr, 8, 16, ValueType::kIpv6, kAll, false, false},
    {Header::kIp6, "dst", nullptr, 24, 16, ValueType::kIpv6, kAll, false, false},
    {Header::kIp6, "flow_lbl", nullptr, 0, 4, ValueType::kU32, 0x0007ffff, false, false},
    {Header::kIp6, "payload_len", nullptr, 4, 2, ValueType::kU32, 0xffff, false, false},
    {Header::kIp6, "nexthdr", nullptr, 6, 1, ValueType::kU32, 0xff, false, false},
    {Header::kIp6, "hoplimit", nullptr, 7, 1, ValueType::kU32, 0xff, true, false},
    // 8 bits across bytes 0-1: tc shifts the value and retain left by 4.
    {Header::kIp6, "traffic_class", nullptr, 0, 2, ValueType::kU32, 0x0ff0, false, false},
    {Header::kTcp, "sport", nullptr, 0, 2, ValueType::kU32, 0xffff, false, false},
    {Header::kTcp, "dport", nullptr, 2, 2, ValueType::kU32, 0xffff, false, false},
    {Header::kTcp, "flags", nullptr, 13, 1, ValueType::kU32, 0xff, false, false},
    {Header::kUdp, "sport", nullptr, 0, 2, ValueType::kU32, 0xffff, false, false},
    {Header::kUdp, "dport", nullptr, 2, 2, ValueType::kU32, 0xffff, false, false},
};

const char* header_name(Header h) {
  switch (h) {
    case Header::kEth: return "eth";
    case Header::kIp4: return "ip";
    case Header::kIp6: return "ip6";
    case Header::kTcp: return "tcp";
    case Header::kUdp: return "udp";
    case Header::kIcmp: return "icmp";
    case Header::kRaw: return "offset";
  }
  return "offset";
}

uint32_t width_mask(uint8_t width) {
  return width >= 4 ? kAll : (1u << (8 * width)) - 1;
}

bool is_traffic_class(const ir::PeditKey& k) {
  return k.header == Header::kIp6 && k.field == "traffic_class";
}

// The retain a command implies before an explicit "retain": preserve keeps everything.
uint32_t implied_retain(Op op, uint32_t field_retain) {
  return op == Op::kPreserve ? 0 : field_retain;
}

void store_u32(ir::PeditKey& k, uint32_t v) {
  k.value.fill(0);
  for (int i = k.width - 1, shift = 0; i >= 0; --i, shift += 8) k.value[i] = (v >> shift) & 0xff;
}

uint32_t load_u32(const ir::PeditKey& k) {
  uint32_t v = 0;
  for (int i = 0; i < k.width && i < 4; ++i) v = v << 8 | k.value[i];
  return v;
}

class PeditParser {
 public:
  PeditParser(TokenStream& ts, bool extended) : ts_(ts), extended_(extended) {}
  ir::PeditKey munge(const Token& munge_word);

 private:
  ir::PeditKey named(const Token& header_word);
  ir::PeditKey raw(const Token& offset_word);
  void command(ir::PeditKey& k, ValueType type, uint32_t field_retain, bool allow_dec,
               const Token& field_word);

  TokenStream& ts_;
  bool extended_;
};

ir::PeditKey PeditParser::munge(const Token& munge_word) {
  const Token& what = ts_.argument(munge_word, "HEADER FIELD or 'offset N'");
  if (matches(what.text, "offset")) return raw(what);
  return named(what);
}

ir::PeditKey PeditParser::raw(const Token& offset_word) {
  ir::PeditKey k;
  k.header = Header::kRaw;
  const Token& off = ts_.argument(offset_word, "OFFSET");
  auto o = parse_unsigned(off.text, 0, 0x7fffffff);
  if (!o)
    ts_.fail(off, "invalid pedit offset '" + off.text + "'",
             "a byte offset from the network header, >= 0");
  k.offset = static_cast<uint32_t>(*o);
  const Token& size = ts_.argument(off, "u8, u16 or u32");
  if (matches(size.text, "u32"))
    k.width = 4;
  else if (matches(size.text, "u16"))
    k.width = 2;
  else if (matches(size.text, "u8"))
    k.width = 1;
  else
    ts_.fail(size, "invalid pedit size '" + size.text + "'", "u8, u16 or u32");
  if ((k.width == 4 && k.offset % 4) || (k.width == 2 && k.offset % 4 == 3))
    ts_.fail(off, "pedit offset " + off.text + " is misaligned for " + size.text,
             "u32 needs an offset that is a multiple of 4; u16 may not start at 4n+3");
  if (ts_.peek_matches("at"))
    ts_.fail(ts_.peek(), "pedit 'at' (offsets read from the packet) is not supported by tc2xdp",
             "remove it");
  command(k, ValueType::kU32, width_mask(k.width), false, size);
  return k;
}

ir::PeditKey PeditParser::named(const Token& header_word) {
  Header h;
  const std::string& hw = header_word.text;
  if (hw == "eth")
    h = Header::kEth;
  else if (hw == "ip")
    h = Header::kIp4;
  else if (hw == "ip6")
    h = Header::kIp6;
  else if (hw == "tcp")
    h = Header::kTcp;
  else if (hw == "udp")
    h = Header::kUdp;
  else if (hw == "icmp")
    ts_.fail(header_word, "pedit icmp has no fields in tc", "use 'munge offset N u8 set V'");
  else
    ts_.fail(header_word, "unknown pedit header '" + hw + "'",
             "eth, ip, ip6, tcp, udp or 'offset N'");
  if (h != Header::kIp4 && !extended_)
    ts_.fail(header_word, "pedit " + hw + " needs 'pedit ex'",
             "write 'pedit ex munge " + hw + " ...'");
  const Token& fw = ts_.argument(header_word, "FIELD");
  const FieldSpec* spec = nullptr;
  for (const auto& f : kFields)
    if (f.header == h && (fw.text == f.name || (f.alias && matches(fw.text, f.alias)))) {
      spec = &f;
      break;
    }
  if (!spec || (spec->legacy_only && extended_))
    ts_.fail(fw, "unknown pedit " + hw + " field '" + fw.text + "'",
             spec ? "with 'ex', rewrite ports in the tcp or udp header"
                  : "tc-pedit(8) lists the fields");
  ir::PeditKey k;
  k.header = h;
  k.field = spec->name;  // "dsfield" is stored as "tos"
  k.offset = spec->offset;
  k.width = spec->width;
  command(k, spec->type, spec->retain, spec->allow_decrement, fw);
  return k;
}

void PeditParser::command(ir::PeditKey& k, ValueType type, uint32_t field_retain, bool allow_dec,
                          const Token& field_word) {
  const Token& cmd = ts_.argument(field_word, "set, add, decrement, preserve or clear");
  const std::string& c = cmd.text;
  const bool traffic_class = is_traffic_class(k);
  uint32_t value = 0;
  if (matches(c, "invert")) {
    ts_.fail(cmd, "pedit invert is not supported by tc2xdp", "use set with the inverted value");
  } else if (matches(c, "set") || matches(c, "add")) {
    k.op = matches(c, "add") ? Op::kAdd : Op::kSet;
    if (k.op == Op::kAdd && !extended_)
      ts_.fail(cmd, "pedit add needs 'pedit ex'", "write 'pedit ex munge ...'");
    const Token& v = ts_.argument(cmd, "VALUE");
    bool ok = true;
    switch (type) {
      case ValueType::kU32: {
        auto n = parse_unsigned(v.text, 0, traffic_class ? 0xff : width_mask(k.width));
        ok = n.has_value();
        if (ok) value = static_cast<uint32_t>(*n) << (traffic_class ? 4 : 0);
        break;
      }
      case ValueType::kIpv4: {
        auto p = parse_prefix(v.text, 4);
        ok = p.has_value();
        if (ok) std::copy_n(p->addr.begin(), 4, k.value.begin());
        break;
      }
      case ValueType::kIpv6: {
        auto p = parse_prefix(v.text, 6);
        ok = p.has_value();
        if (ok) k.value = p->addr;
        break;
      }
      case ValueType::kMac: {
        auto m = parse_mac(v.text);
        ok = m.has_value();
        if (ok) std::copy(m->begin(), m->end(), k.value.begin());
        break;
      }
    }
    if (!ok)
      ts_.fail(v, "invalid pedit value '" + v.text + "' for " + field_word.text,
               type == ValueType::kU32 ? "a number that fits the field"
                                       : "an address of the field's kind");
  } else if (matches(c, "decrement")) {
    if (!allow_dec)
      ts_.fail(cmd, "decrement is not supported for pedit field '" + field_word.text + "'",
               "only ip ttl and ip6 hoplimit can be decremented");
    if (!extended_) ts_.fail(cmd, "pedit decrement needs 'pedit ex'", "write 'pedit ex munge ...'");
    k.op = Op::kDecrement;
  } else if (matches(c, "preserve")) {
    k.op = Op::kPreserve;
  } else if (matches(c, "clear")) {
    k.op = Op::kSet;  // clear is set 0
  } else {
    ts_.fail(cmd, "unknown pedit command '" + c + "'", "set, add, decrement, preserve or clear");
  }
  uint32_t retain = implied_retain(k.op, field_retain);
  if (ts_.peek_matches("retain")) {
    const Token& rk = ts_.next();
    const Token& rv = ts_.argument(rk, "MASK");
    auto r = parse_unsigned(rv.text, 0, 0xffffffff);
    if (!r) ts_.fail(rv, "invalid retain mask '" + rv.text + "'", "a 32-bit number");
    if (k.width > 4 && *r != kAll)
      ts_.fail(rv, "retain is not supported for fields longer than 32 bits", "remove retain");
    retain = static_cast<uint32_t>(*r) << (traffic_class ? 4 : 0);
    if (!traffic_class) retain &= width_mask(k.width);
  }
  if (type == ValueType::kU32) store_u32(k, k.op == Op::kDecrement ? 0 : value & retain);
  if (k.width <= 4 && retain != width_mask(k.width)) k.retain = retain;
}

std::string format_value(const ir::PeditKey& k) {
  const FieldSpec* spec = nullptr;
  for (const auto& f : kFields)
    if (f.header == k.header && k.field == f.name) spec = &f;
  const ValueType type = spec ? spec->type : ValueType::kU32;
  switch (type) {
    case ValueType::kIpv4: return format_ipv4(k.value.data());
    case ValueType::kIpv6: return format_ipv6(k.value.data());
    case ValueType::kMac: return format_mac(k.value.data());
    case ValueType::kU32: break;
  }
  return format_hex(load_u32(k) >> (is_traffic_class(k) ? 4 : 0));
}

uint32_t default_retain(const ir::PeditKey& k) {
  for (const auto& f : kFields)
    if (f.header == k.header && k.field == f.name) return f.retain;
  return width_mask(k.width);
}

}  // namespace

ir::Action parse_pedit(TokenStream& ts) {
  const Token& kind = ts.next();
  ir::PeditAction p;
  p.extended = false;
  if (ts.peek_matches("ex")) {
    ts.next();
    p.extended = true;
  }
  PeditParser parser(ts, p.extended);
  while (ts.peek_matches("munge")) {
    const Token& m = ts.next();
    p.keys.push_back(parser.munge(m));
  }
  if (p.keys.empty())
    ts.fail_at(ts.at_end() ? ts.end_location() : ts.peek().loc, "pedit needs at least one munge",
               ts.at_end() ? kind.text : ts.peek().text, "write 'pedit ex munge ip ttl decrement'");
  ir::Action a;
  a.control = parse_control_or(ts, ir::Control{ir::ControlKind::kOk});
  a.body = std::move(p);
  parse_optional_index(ts, a);
  return a;
}

std::string print_pedit(const ir::PeditAction& p, const ir::Action& a) {
  std::string s = p.extended ? "pedit ex" : "pedit";
  for (const auto& k : p.keys) {
    s += " munge ";
    if (k.header == Header::kRaw) {
      s += "offset " + std::to_string(k.offset) +
           (k.width == 1   ? " u8"
            : k.width == 2 ? " u16"
                           : " u32");
    } else {
      s += std::string(header_name(k.header)) + " " + k.field;
    }
    switch (k.op) {
      case Op::kSet: s += " set " + format_value(k); break;
      case Op::kAdd: s += " add " + format_value(k); break;
      case Op::kDecrement: s += " decrement"; break;
      case Op::kPreserve: s += " preserve"; break;
    }
    const uint32_t base = k.header == Header::kRaw ? width_mask(k.width) : default_retain(k);
    const uint32_t implied = implied_retain(k.op, base);
    const uint32_t effective = k.retain.value_or(width_mask(k.width));
    if (k.width <= 4 && effective != implied)
      s += " retain " + format_hex(is_traffic_class(k) ? effective >> 4 : effective);
  }
  return s + " " + format_control(a.control) + format_index(a);
}

}  // namespace tc2xdp::frontend::tc
