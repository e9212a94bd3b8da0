// Whole filter commands: identity, then flower keys, then actions.
#include <type_traits>

#include "action_parser.h"
#include "numbers.h"
#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc {

std::string print_actions(const std::vector<ir::Action>& actions) {
  std::string out;
  for (const auto& a : actions) {
    if (!out.empty()) out += ' ';
    out += "action ";
    out += std::visit(
        [&](const auto& body) -> std::string {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, ir::GactAction>) return print_gact(body, a);
          if constexpr (std::is_same_v<T, ir::MirredAction>) return print_mirred(body, a);
          if constexpr (std::is_same_v<T, ir::VlanAction>) return print_vlan(body, a);
          if constexpr (std::is_same_v<T, ir::PeditAction>) return print_pedit(body, a);
          if constexpr (std::is_same_v<T, ir::CsumAction>) return print_csum(body, a);
          if constexpr (std::is_same_v<T, ir::TunnelKeyAction>) return print_tunnel_key(body, a);
          if constexpr (std::is_same_v<T, ir::PoliceAction>) return print_police(body, a);
          if constexpr (std::is_same_v<T, ir::SkbeditAction>) return print_skbedit(body, a);
          if constexpr (std::is_same_v<T, ir::CtAction>) return print_ct(body, a);
          return "?";
        },
        a.body);
  }
  return out;
}

std::string print_rule(const ir::Rule& rule) {
  std::string s = "filter add";
  if (!rule.dev.empty()) s += " dev " + rule.dev;
  switch (rule.hook) {
    case ir::Hook::kIngress: s += " ingress"; break;
    case ir::Hook::kEgress: s += " egress"; break;
    case ir::Hook::kParent:
      s += rule.parent == 0xffffffff ? " root" : " parent " + format_classid(rule.parent);
      break;
  }
  if (rule.chain) s += " chain " + std::to_string(rule.chain);
  if (rule.pref) s += " pref " + std::to_string(rule.pref);
  if (rule.handle) s += " handle " + format_hex(rule.handle);
  s += " protocol " + ethertype_name(rule.protocol) + " flower";
  const std::string match = print_match(rule);
  if (!match.empty()) s += " " + match;
  const std::string actions = print_actions(rule.actions);
  if (!actions.empty()) s += " " + actions;
  return s;
}

std::string print_rule_set(const ir::RuleSet& rules) {
  std::string out;
  for (const auto& r : rules.rules()) out += print_rule(r) + "\n";
  return out;
}

}  // namespace tc2xdp::frontend::tc
