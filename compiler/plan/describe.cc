// The plan in words, for `tc2xdp compile --emit plan`.
#include <sstream>
#include <variant>

#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

const char* terminal_name(Terminal::Kind kind) {
  switch (kind) {
    case Terminal::Kind::kPass: return "pass";
    case Terminal::Kind::kDrop: return "drop";
    case Terminal::Kind::kContinue: return "continue";
    case Terminal::Kind::kGotoChain: return "goto";
    case Terminal::Kind::kRedirect: return "redirect";
    case Terminal::Kind::kPunt: return "punt";
    case Terminal::Kind::kFanout: return "fanout";
  }
  return "?";
}

std::string describe_target(const DeviceTarget& target) {
  return (target.ingress ? "ingress dev " : "dev ") + target.dev;
}

std::string describe_step(const ir::ActionBody& step) {
  std::ostringstream out;
  out << std::hex;
  if (const auto* v = std::get_if<ir::VlanAction>(&step)) {
    const char* op = v->op == ir::VlanAction::Op::kPush  ? "push"
                     : v->op == ir::VlanAction::Op::kPop ? "pop"
                                                         : "modify";
    out << "vlan " << op;
    if (v->op != ir::VlanAction::Op::kPop) {
      out << " 0x" << v->protocol << " id " << std::dec << v->id;
      if (v->priority) out << " prio " << int(*v->priority);
    }
  } else if (const auto* p = std::get_if<ir::PeditAction>(&step)) {
    static const char* const headers[] = {"raw", "eth", "ip4", "ip6", "tcp", "udp", "icmp"};
    static const char* const ops[] = {"set", "add", "dec", "preserve"};
    out << "pedit";
    for (const auto& k : p->keys) {
      out << ' ' << headers[static_cast<int>(k.header)] << '+' << std::dec << k.offset << '/'
          << int(k.width) << ' ' << ops[static_cast<int>(k.op)] << " 0x" << std::hex;
      for (int i = 0; i < k.width; ++i) out << (k.value[i] >> 4) << (k.value[i] & 15);
      if (k.retain) out << " retain 0x" << *k.retain;
      out << ';';
    }
  } else if (const auto* c = std::get_if<ir::CsumAction>(&step)) {
    out << "csum 0x" << c->flags;
  } else if (const auto* m = std::get_if<ir::SkbeditAction>(&step)) {
    out << "mark 0x" << m->mark.value_or(0) << "/0x" << m->mark_mask.value_or(0xffffffff);
  } else if (const auto* police = std::get_if<ir::PoliceAction>(&step)) {
    const auto verdict = [](const ir::Control& c) {
      return c.kind == ir::ControlKind::kOk     ? "pass"
             : c.kind == ir::ControlKind::kDrop ? "drop"
             : c.kind == ir::ControlKind::kPipe ? "pipe"
                                                : "?";
    };
    out << "police conform " << verdict(police->conform) << " exceed " << verdict(police->exceed);
  } else {
    out << ir::action_kind_name(step);
  }
  return out.str();
}

namespace {

std::string parsed_headers(const ParsePlan& p) {
  std::string out = "eth";
  const std::pair<bool, const char*> layers[] = {
      {p.vlan, "vlan"}, {p.cvlan, "cvlan"}, {p.mpls, "mpls"}, {p.arp, "arp"},
      {p.ipv4, "ipv4"}, {p.ipv6, "ipv6"},   {p.l4, "l4"},     {p.icmp, "icmp"}};
  for (const auto& [on, name] : layers)
    if (on) out += std::string(" ") + name;
  if (p.mpls) out += " (mpls depth " + std::to_string(p.mpls_depth) + ")";
  return out;
}

}  // namespace

std::string describe(const Plan& plan, const ir::RuleSet& rules) {
  constexpr bool verbose_tables = false;
  std::ostringstream out;
  out << "parse: " << parsed_headers(plan.parse) << "\nfields:";
  for (size_t i = 0; i < ir::kFieldCount; ++i)
    if (plan.parse.fields.test(i)) out << ' ' << ir::field_info(static_cast<ir::Field>(i)).name;
  if (plan.parse.src_port_range) out << " src_port(range)";
  if (plan.parse.dst_port_range) out << " dst_port(range)";
  if (plan.parse.indev) out << " indev";
  out << "\nrules: " << plan.rules.size() << " (" << plan.punted_count() << " punted), "
      << plan.stats_slots << " stats slots, " << plan.redirects.size() << " redirect targets\n";
  const auto rule_line = [&](size_t index, const char* indent) {
    const auto& pr = plan.rules[index];
    out << indent << "pref " << pr.pref << " handle 0x" << std::hex << pr.handle << std::dec
        << " -> " << terminal_name(pr.terminal.kind);
    if (pr.terminal.kind == Terminal::Kind::kGotoChain) out << " chain " << pr.terminal.chain;
    if (pr.terminal.kind == Terminal::Kind::kRedirect)
      out << ' ' << describe_target(plan.redirects[pr.terminal.redirect_slot].target);
    if (pr.terminal.actions && plan.action_lists[*pr.terminal.actions].copies_at_tc())
      out << " with copies at tc ingress to";
    if (pr.terminal.actions && !plan.action_lists[*pr.terminal.actions].sends.empty())
      for (const auto& send : plan.action_lists[*pr.terminal.actions].sends)
        out << ' ' << describe_target(send);
    if (pr.terminal.actions && !plan.action_lists[*pr.terminal.actions].steps.empty()) {
      out << " after";
      for (const auto& step : plan.action_lists[*pr.terminal.actions].steps)
        out << " [" << describe_step(step) << ']';
    }
    if (!pr.offloaded) out << " (" << pr.punt_reason << ")";
    const auto& origin = rules.rules()[index].origin;
    if (origin.line) out << "  [" << origin.file << ':' << origin.line << ']';
    out << '\n';
  };
  for (const auto& chain : plan.chains) {
    out << "chain " << chain.chain << ":\n";
    for (const ChainUnit& unit : chain.units) {
      if (unit.kind == ChainUnit::Kind::kInlineRule) {
        rule_line(unit.index, "  ");
        continue;
      }
      const Table& table = plan.tables[unit.index];
      out << "  table " << unit.index << ": " << table.records.size() << " rules, "
          << table.tuples.size() << " tuples, " << table.buckets.size() << " buckets;";
      if (!table.guards.empty()) {
        out << " guard";
        for (const Term& g : table.guards) out << ' ' << g.component.name();
        out << ';';
      }
      out << " key";
      for (const auto& pc : table.layout)
        out << ' ' << pc.component.name() << "@" << int(pc.word) << ':' << int(pc.shift);
      if (table.src_port_range) out << " +src_port range";
      if (table.dst_port_range) out << " +dst_port range";
      out << '\n';
      for (const auto& tree : table.trees) {
        size_t leaves = 0;
        for (const auto& n : tree.nodes) leaves += n.leaf;
        out << "    tree floor " << tree.floor << ": " << tree.nodes.size() << " nodes, " << leaves
            << " leaves, " << tree.entries.size() << " entries, depth " << tree.depth
            << ", widest leaf " << tree.widest_leaf << '\n';
      }
      for (const auto& tuple : table.tuples) {
        out << "    tuple " << tuple.id << " floor " << tuple.floor << " mask";
        for (uint64_t m : tuple.mask) out << ' ' << std::hex << m << std::dec;
        out << '\n';
      }
      if (!verbose_tables && table.records.size() > 8) {
        out << "    (" << table.records.size() << " rules)\n";
        continue;
      }
      for (const auto& record : table.records) rule_line(record.rule, "    ");
    }
  }
  if (!plan.tables.empty())
    out << "tables: " << plan.tables.size() << ", key " << plan.table_layout.words
        << " words, bucket map " << plan.table_buckets << " entries, record map "
        << plan.table_records << " entries\n";
  if (plan.flow_cache.enabled())
    out << "flow cache: " << plan.flow_cache.sets * kFlowCacheWays << " entries per CPU on "
        << plan.flow_cache.cpus << " CPUs, key " << plan.flow_cache.key_words << " words, "
        << plan.flow_cache.bytes() << " bytes\n";
  for (const auto& policer : plan.policers) {
    out << "police bucket " << policer.id << ':';
    if (policer.index) out << " tc index " << *policer.index << ',';
    out << " rules";
    for (size_t r : policer.rules)
      out << ' ' << rules.rules()[r].pref << '/' << std::hex << "0x" << rules.rules()[r].handle
          << std::dec;
    out << '\n';
  }
  out << "estimated verifier instructions: " << plan.estimated_verifier_insns << '\n';
  for (const auto& target : plan.redirects)
    out << "redirect slot " << target.slot << ": " << describe_target(target.target) << '\n';
  return out.str();
}

}  // namespace tc2xdp::plan
