// tc/m_action.c's action list and tc_util.c's control verbs.
#include "action_parser.h"

#include "numbers.h"

namespace tc2xdp::frontend::tc {

namespace {

using ir::ControlKind;

constexpr uint32_t kExtValMask = 0x0fffffff;  // TC_ACT_EXT_VAL_MASK

struct VerbName {
  const char* name;
  ControlKind kind;
};
// action_a2n's table; its order decides what an abbreviation means ("p" is pass).
constexpr VerbName kVerbs[] = {
    {"continue", ControlKind::kContinue},
    {"drop", ControlKind::kDrop},
    {"shot", ControlKind::kDrop},
    {"pass", ControlKind::kOk},
    {"ok", ControlKind::kOk},
    {"reclassify", ControlKind::kReclassify},
    {"pipe", ControlKind::kPipe},
    {"goto", ControlKind::kGotoChain},
    {"jump", ControlKind::kJump},
    {"trap", ControlKind::kTrap},
};

const VerbName* find_verb(std::string_view word) {
  for (const auto& v : kVerbs)
    if (matches(word, v.name)) return &v;
  return nullptr;
}

// m_action.c's new_cmd(): a word that starts the next tc command ends the action list.
bool is_new_command(std::string_view w) {
  return matches(w, "change") || matches(w, "replace") || matches(w, "delete") ||
         matches(w, "get") || matches(w, "add");
}

using KindParser = ir::Action (*)(TokenStream&);
struct Kind {
  const char* name;
  KindParser parse;
};
constexpr Kind kKinds[] = {
    {"gact", parse_gact},     {"mirred", parse_mirred},   {"vlan", parse_vlan},
    {"pedit", parse_pedit},   {"csum", parse_csum},       {"tunnel_key", parse_tunnel_key},
    {"police", parse_police}, {"skbedit", parse_skbedit}, {"ct", parse_ct},
};
// Kinds iproute2 knows that tc2xdp does not compile.
constexpr const char* kUnsupportedKinds[] = {
    "nat",    "sample", "connmark", "ctinfo", "mpls",           "skbmod",   "bpf",    "ife",
    "simple", "gate",   "xt",       "ipt",    "mirred_blockid", "pedit_ex", "tunnel", "vlan_eth",
};

// Per-action options m_action.c reads after any kind; they do not change what a packet meets.
void skip_generic_options(TokenStream& ts) {
  for (;;) {
    if (ts.peek_is("cookie")) {
      const Token& k = ts.next();
      ts.argument(k, "HEX");
    } else if (ts.peek_matches("hw_stats")) {
      const Token& k = ts.next();
      ts.argument(k, "TYPE");
    } else if (ts.peek_is("no_percpu") || ts.peek_is("skip_sw") || ts.peek_is("skip_hw")) {
      ts.next();
    } else {
      return;
    }
  }
}

}  // namespace

std::optional<ControlKind> control_kind_of(std::string_view word) {
  const VerbName* v = find_verb(word);
  return v ? std::optional<ControlKind>(v->kind) : std::nullopt;
}

bool is_control_word(std::string_view word) {
  return find_verb(word) != nullptr;
}

ir::Control parse_control(TokenStream& ts) {
  const Token& verb = ts.next();
  const VerbName* v = find_verb(verb.text);
  if (!v)
    ts.fail(verb, "unknown control verb '" + verb.text + "'",
            "use ok, pass, drop, continue, pipe, reclassify, trap, goto chain N or jump N");
  ir::Control c{v->kind, 0};
  if (v->kind == ControlKind::kGotoChain) {
    const Token& chain = ts.argument(verb, "'chain N'");
    if (!matches(chain.text, "chain"))
      ts.fail(chain, "'goto' needs 'chain N'", "write 'goto chain 1'");
    const Token& n = ts.argument(chain, "CHAIN");
    auto idx = parse_unsigned(n.text, 10, kExtValMask);
    if (!idx) ts.fail(n, "invalid chain index '" + n.text + "'", "a decimal chain number");
    c.arg = static_cast<uint32_t>(*idx);
  } else if (v->kind == ControlKind::kJump) {
    const Token& n = ts.argument(verb, "COUNT");
    auto count = parse_unsigned(n.text, 10, kExtValMask);
    if (!count) ts.fail(n, "invalid jump count '" + n.text + "'", "the number of actions to skip");
    c.arg = static_cast<uint32_t>(*count);
  }
  return c;
}

ir::Control parse_control_or(TokenStream& ts, ir::Control dflt) {
  if (!ts.at_end() && is_control_word(ts.peek().text)) return parse_control(ts);
  return dflt;
}

uint32_t parse_index_value(TokenStream& ts, const Token& key) {
  const Token& n = ts.argument(key, "INDEX");
  auto v = parse_unsigned(n.text, 10, 0xffffffff);
  if (!v) ts.fail(n, "invalid action index '" + n.text + "'", "a decimal index");
  return static_cast<uint32_t>(*v);
}

void parse_optional_index(TokenStream& ts, ir::Action& action) {
  if (!ts.peek_matches("index")) return;
  const Token& key = ts.next();
  action.index = parse_index_value(ts, key);
}

void parse_action_list(TokenStream& ts, std::vector<ir::Action>& out) {
  bool expect_action = false;
  const Token* last_action_word = nullptr;
  while (!ts.at_end()) {
    const Token& tok = ts.peek();
    if (tok.text == "action") {
      last_action_word = &ts.next();
      expect_action = true;
      continue;
    }
    if (tok.text == "flowid" || tok.text == "classid" || is_new_command(tok.text)) break;
    KindParser parse = nullptr;
    if (is_control_word(tok.text)) {
      parse = parse_gact;  // `action drop` is gact
    } else {
      for (const auto& k : kKinds)
        if (tok.text == k.name) parse = k.parse;
    }
    if (!parse) {
      for (const char* name : kUnsupportedKinds)
        if (tok.text == name)
          ts.fail(tok, "action '" + tok.text + "' is not supported by tc2xdp",
                  "supported: gact, mirred, vlan, pedit, csum, tunnel_key, police, skbedit, ct");
      ts.fail(tok, "unknown action '" + tok.text + "'",
              "an action kind (gact, mirred, vlan, pedit, csum, tunnel_key, police, skbedit, ct) "
              "or a verb (ok, drop, pipe, continue, goto chain N, ...)");
    }
    if (out.size() >= kMaxActions)
      ts.fail(tok, "more than " + std::to_string(kMaxActions) + " actions",
              "tc allows at most 32 actions per filter");
    out.push_back(parse(ts));
    skip_generic_options(ts);
    expect_action = false;
  }
  if (expect_action) ts.argument(*last_action_word, "action kind");
}

std::string format_control(const ir::Control& c) {
  switch (c.kind) {
    case ControlKind::kOk: return "pass";
    case ControlKind::kDrop: return "drop";
    case ControlKind::kContinue: return "continue";
    case ControlKind::kPipe: return "pipe";
    case ControlKind::kReclassify: return "reclassify";
    case ControlKind::kStolen: return "stolen";  // no tc verb; only mirred redirect has it
    case ControlKind::kTrap: return "trap";
    case ControlKind::kGotoChain: return "goto chain " + std::to_string(c.arg);
    case ControlKind::kJump: return "jump " + std::to_string(c.arg);
  }
  return "pipe";
}

std::string format_index(const ir::Action& a) {
  return a.index ? " index " + std::to_string(*a.index) : std::string();
}

}  // namespace tc2xdp::frontend::tc
