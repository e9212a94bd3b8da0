#include "rule_planning.h"

#include <algorithm>

#include "offload.h"

namespace tc2xdp::plan {

namespace {

// Empty if every device the actions send to can be reached from XDP; otherwise why not. A missing
// egress device is left to the runtime (an empty devmap slot drops, as mirred to a gone device).
// XDP reaches a receive path only through a veth peer in this namespace. When a redirect or a
// broadcast has an ingress target without one, the frame goes to the tc companion instead, which
// sends every copy (bpf_clone_redirect reaches any receive path) and then drops the frame itself.
void hand_unreachable_to_tc(Reduction& reduced, const PlanOptions& options) {
  const Terminal::Kind kind = reduced.terminal.kind;
  if (kind != Terminal::Kind::kRedirect && kind != Terminal::Kind::kFanout) return;
  std::vector<DeviceTarget> targets = reduced.sends;
  if (kind == Terminal::Kind::kRedirect) targets.push_back(reduced.redirect);
  const bool unreachable = std::any_of(targets.begin(), targets.end(), [&](const auto& t) {
    return t.ingress && !transmit_ifindex(t, options);
  });
  if (!unreachable) return;
  reduced.sends = std::move(targets);
  reduced.terminal = Terminal{Terminal::Kind::kPass};
  reduced.consumed_at_tc = true;
}

}  // namespace

std::optional<uint32_t> transmit_ifindex(const DeviceTarget& target, const PlanOptions& options) {
  const auto& resolve = target.ingress ? options.resolve_ingress : options.resolve_device;
  return resolve ? resolve(target.dev) : std::nullopt;
}

PlannedRule plan_rule(const ir::Rule& rule, size_t index, uint32_t slot, const PlanOptions& options,
                      RedirectSlots& redirects, const ActionSink& actions, Diagnostics& diags) {
  PlannedRule pr;
  pr.rule_index = index;
  pr.chain = rule.chain;
  pr.pref = rule.pref;
  pr.handle = rule.handle;
  pr.protocol = rule.protocol;
  pr.n_proto = ir::effective_eth_type(rule);
  pr.stats_slot = slot;

  if (rule.match.indev && options.resolve_device)
    pr.indev_ifindex = options.resolve_device(*rule.match.indev);
  std::string reason = unsupported_match_reason(rule.match);
  Reduction reduced;
  if (reason.empty()) {
    reduced = reduce_actions(rule.actions);
    reason = reduced.reason;
    pr.terminal = reduced.terminal;
  }
  if (reason.empty() && rule.match.indev && !pr.indev_ifindex)
    reason = "indev " + *rule.match.indev + " does not exist here";
  if (reason.empty()) {
    hand_unreachable_to_tc(reduced, options);
    pr.terminal = reduced.terminal;
  }
  if (reason.empty() && pr.terminal.kind == Terminal::Kind::kRedirect) {
    // A target not seen yet takes the next devmap slot.
    const auto next = static_cast<uint32_t>(redirects.size());
    pr.terminal.redirect_slot = redirects.try_emplace(reduced.redirect, next).first->second;
  }
  if (reason.empty() && (!reduced.steps.empty() || !reduced.sends.empty())) {
    ActionList list{std::move(reduced.steps), pr.terminal.kind, pr.terminal.redirect_slot,
                    std::move(reduced.sends)};
    list.consumed_at_tc = reduced.consumed_at_tc;
    if (auto id = actions(std::move(list), reason)) pr.terminal.actions = *id;
  }
  if (!reason.empty()) {
    pr.offloaded = false;
    pr.terminal = Terminal{Terminal::Kind::kPunt};
    pr.punt_reason = reason;
    diags.warning(rule.origin, "filter not offloaded: " + reason, "",
                  "its packets go to the kernel stack, where tc still applies it");
  }
  return pr;
}

void note_fields(const ir::Rule& rule, const ir::Match& m, ParsePlan& parse) {
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    if (!m.fields[i]) continue;
    parse.fields.set(i);
    switch (ir::field_info(static_cast<ir::Field>(i)).layer) {
      case ir::Layer::kVlan: parse.vlan = true; break;
      case ir::Layer::kCvlan: parse.vlan = parse.cvlan = true; break;
      case ir::Layer::kIpv4: parse.ipv4 = true; break;
      case ir::Layer::kIpv6: parse.ipv6 = true; break;
      case ir::Layer::kArp: parse.arp = true; break;
      case ir::Layer::kL4: parse.l4 = true; break;
      case ir::Layer::kIcmp: parse.l4 = parse.icmp = true; break;
      default: break;
    }
  }
  // ip_proto, tos, ttl and ip_flags sit in whichever IP header the rule names.
  auto eth = ir::effective_eth_type(rule);
  const bool ip_keyed = m.has(ir::Field::kIpProto) || m.has(ir::Field::kIpTos) ||
                        m.has(ir::Field::kIpTtl) || m.has(ir::Field::kIpFlags) || parse.l4;
  if (ip_keyed && eth == 0x0800) parse.ipv4 = true;
  if (ip_keyed && eth == 0x86dd) parse.ipv6 = true;
  if (m.has(ir::Field::kTcpFlags)) parse.tcp_flags = true;
  if (m.src_port_range) parse.l4 = parse.src_port_range = true;
  if (m.dst_port_range) parse.l4 = parse.dst_port_range = true;
  if (!m.mpls.empty()) {
    parse.mpls = true;
    parse.mpls_depth = std::max<uint8_t>(parse.mpls_depth, m.mpls.back().depth);
  }
  if (m.indev) parse.indev = true;
  // A tagged frame's n_proto sits behind its tags: walk them whenever a rule keys on a type.
  if (eth || rule.protocol == 0x8100 || rule.protocol == 0x88a8) parse.vlan = true;
}

bool parse_covers(const ParsePlan& have, const ParsePlan& need) {
  const auto implies = [](bool need_it, bool has_it) { return !need_it || has_it; };
  return implies(need.vlan, have.vlan) && implies(need.cvlan, have.cvlan) &&
         implies(need.mpls, have.mpls) && need.mpls_depth <= have.mpls_depth &&
         implies(need.arp, have.arp) && implies(need.ipv4, have.ipv4) &&
         implies(need.ipv6, have.ipv6) && implies(need.l4, have.l4) &&
         implies(need.tcp_flags, have.tcp_flags) && implies(need.icmp, have.icmp) &&
         implies(need.indev, have.indev) && implies(need.src_port_range, have.src_port_range) &&
         implies(need.dst_port_range, have.dst_port_range) && (need.fields & ~have.fields).none();
}

}  // namespace tc2xdp::plan
