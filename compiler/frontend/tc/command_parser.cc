// tc/tc_filter.c's command words, then the flower options; and the public entry points.
#include "command_parser.h"

#include "flower_parser.h"
#include "lexer.h"
#include "numbers.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc {

namespace {

constexpr uint32_t kClsactIngress = 0xfffffff2;  // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
constexpr uint32_t kClsactEgress = 0xfffffff3;
constexpr uint32_t kIngressQdisc = 0xffff0000;  // `parent ffff:` of the ingress qdisc

// `qdisc add|replace|del dev DEV clsact|ingress`: the attach point tc filters need.
std::optional<ir::Command> parse_qdisc(TokenStream& ts, const Token& object) {
  bool attach_point = false;
  while (!ts.at_end()) {
    const Token& t = ts.next();
    if (t.text == "clsact" || t.text == "ingress") attach_point = true;
  }
  if (!attach_point)
    ts.fail(object, "only clsact and ingress qdisc lines are accepted (and ignored)",
            "tc2xdp compiles filters; other qdiscs stay in tc");
  return std::nullopt;
}

}  // namespace

std::optional<ir::Command> parse_command(const CommandLine& line) {
  TokenStream ts(line);
  if (ts.peek_is("tc")) ts.next();
  if (ts.at_end())
    ts.fail_at(line.end, "missing command after 'tc'", "tc", "write 'filter add ...'");
  const Token& object = ts.next();
  if (matches(object.text, "qdisc")) return parse_qdisc(ts, object);
  if (!matches(object.text, "filter"))
    ts.fail(object, "unknown command '" + object.text + "'",
            "tc2xdp reads 'filter add|replace|change|del ...' lines");

  ir::Command cmd;
  ir::Rule& rule = cmd.rule;
  rule.origin = line.tokens.front().loc;
  const Token& op = ts.argument(object, "add, replace, change or del");
  if (matches(op.text, "add"))
    cmd.op = ir::CommandOp::kAdd;
  else if (matches(op.text, "change"))
    cmd.op = ir::CommandOp::kChange;
  else if (matches(op.text, "replace"))
    cmd.op = ir::CommandOp::kReplace;
  else if (matches(op.text, "delete"))
    cmd.op = ir::CommandOp::kDelete;
  else if (matches(op.text, "show") || matches(op.text, "list") || matches(op.text, "get"))
    ts.fail(op, "'filter " + op.text + "' does not change filters",
            "use 'tc2xdp show' to list them");
  else
    ts.fail(op, "unknown filter command '" + op.text + "'", "add, replace, change or del");

  bool dev_set = false, hook_set = false, pref_set = false, proto_set = false, chain_set = false;
  const Token* handle = nullptr;
  const Token* kind = nullptr;
  auto once = [&](bool& seen, const Token& t) {
    if (seen) ts.fail(t, "duplicate '" + t.text + "'", "give it once");
    seen = true;
  };
  auto hook = [&](const Token& t, ir::Hook h, uint32_t parent) {
    once(hook_set, t);
    rule.hook = h;
    rule.parent = parent;
  };
  while (!ts.at_end() && !kind) {
    const Token& t = ts.next();
    const std::string& w = t.text;
    if (w == "dev") {
      once(dev_set, t);
      const Token& d = ts.argument(t, "DEV");
      if (d.text.empty() || d.text.size() >= 16)
        ts.fail(d, "invalid device name '" + d.text + "'",
                "an interface name of at most 15 characters");
      rule.dev = d.text;
    } else if (matches(w, "block")) {
      ts.fail(t, "shared blocks are not supported by tc2xdp",
              "attach the filter to a device with 'dev'");
    } else if (w == "root") {
      hook(t, ir::Hook::kParent, 0xffffffff);
    } else if (w == "ingress") {
      hook(t, ir::Hook::kIngress, 0);
    } else if (w == "egress") {
      hook(t, ir::Hook::kEgress, 0);
    } else if (w == "parent") {
      const Token& p = ts.argument(t, "PARENT");
      auto id = parse_classid(p.text);
      if (!id) ts.fail(p, "invalid parent '" + p.text + "'", "MAJOR:MINOR in hex, e.g. ffff:");
      if (*id == kClsactIngress || *id == kIngressQdisc)
        hook(t, ir::Hook::kIngress, 0);
      else if (*id == kClsactEgress)
        hook(t, ir::Hook::kEgress, 0);
      else
        hook(t, ir::Hook::kParent, *id);
    } else if (w == "handle") {
      if (handle) ts.fail(t, "duplicate 'handle'", "give it once");
      handle = &ts.argument(t, "HANDLE");
    } else if (matches(w, "preference") || matches(w, "priority")) {
      once(pref_set, t);
      const Token& p = ts.argument(t, "PREF");
      auto v = parse_unsigned(p.text, 0, 0xffffffff);
      if (!v || *v > 0xffff)
        ts.fail(p, "invalid pref '" + p.text + "'", "a priority from 1 to 65535");
      rule.pref = static_cast<uint32_t>(*v);
    } else if (matches(w, "protocol")) {
      once(proto_set, t);
      const Token& p = ts.argument(t, "PROTOCOL");
      auto e = parse_ethertype(p.text);
      if (!e)
        ts.fail(p, "invalid protocol '" + p.text + "'",
                "a name (ip, ipv6, arp, 802.1q, 802.1ad, mpls_uc, mpls_mc, all) or a number like "
                "0x0800");
      rule.protocol = *e;
    } else if (matches(w, "chain")) {
      once(chain_set, t);
      const Token& c = ts.argument(t, "CHAIN");
      auto v = parse_unsigned(c.text, 0, 0xffffffff);
      if (!v) ts.fail(c, "invalid chain '" + c.text + "'", "a chain index, 0 or more");
      rule.chain = static_cast<uint32_t>(*v);
    } else if (matches(w, "estimator")) {
      ts.fail(t, "rate estimators are not supported by tc2xdp", "remove the estimator clause");
    } else if (w == "flower") {
      kind = &t;
    } else if (matches(w, "help")) {
      ts.fail(t, "help is not a filter", "see tc-flower(8)");
    } else {
      ts.fail(t, "filter kind '" + w + "' is not supported by tc2xdp",
              "tc2xdp compiles flower filters; write '... protocol ip flower ...'");
    }
  }
  if (!hook_set) {
    const std::string hint = "add 'ingress', 'egress' or 'parent X:Y' after the device";
    if (kind) ts.fail(*kind, "missing attach point before '" + kind->text + "'", hint);
    ts.fail_at(line.end, "missing attach point", line.tokens.back().text, hint);
  }
  if (handle) {
    if (!kind) ts.fail(*handle, "a handle needs the filter kind", "add 'flower' after the handle");
    auto h = parse_unsigned(handle->text, 0, 0xffffffff);
    if (!h)
      ts.fail(*handle, "invalid handle '" + handle->text + "'", "a 32-bit number such as 0x1");
    rule.handle = static_cast<uint32_t>(*h);
  }
  if (!kind) {
    if (cmd.op != ir::CommandOp::kDelete)
      ts.fail_at(line.end, "missing filter kind", line.tokens.back().text,
                 "end the identity with 'flower' and its match keys");
    return cmd;
  }
  parse_flower(ts, rule);
  return cmd;
}

std::vector<ir::Command> parse_batch(std::string_view text, std::string_view file_name,
                                     Diagnostics& diags) {
  std::vector<ir::Command> out;
  for (const CommandLine& line : split_batch(text, file_name, diags)) {
    try {
      if (auto cmd = parse_command(line)) out.push_back(std::move(*cmd));
    } catch (const ParseError& e) {
      diags.error(e.loc, e.what(), e.token, e.hint);
    }
  }
  return out;
}

std::vector<ir::Command> parse_words(const std::vector<std::string>& words, std::string_view origin,
                                     Diagnostics& diags) {
  std::vector<ir::Command> out;
  if (words.empty()) {
    diags.error({std::string(origin), 1, 1}, "empty command", "",
                "write 'filter add dev DEV ingress ...'");
    return out;
  }
  try {
    if (auto cmd = parse_command(split_words(words, origin))) out.push_back(std::move(*cmd));
  } catch (const ParseError& e) {
    diags.error(e.loc, e.what(), e.token, e.hint);
  }
  return out;
}

bool load_rules(std::string_view text, std::string_view file_name, ir::RuleSet& out,
                Diagnostics& diags) {
  const size_t errors_before = diags.error_count();
  std::vector<ir::Command> cmds = parse_batch(text, file_name, diags);
  if (diags.error_count() != errors_before) return false;
  // Apply into a copy, going on after a rejected command so every problem is reported.
  ir::RuleSet trial = out;
  for (const auto& cmd : cmds) trial.apply(cmd, diags);
  if (diags.error_count() != errors_before) return false;
  out = std::move(trial);
  return true;
}

}  // namespace tc2xdp::frontend::tc
