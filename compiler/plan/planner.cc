// The planner: terminals, punts, stats slots and chains here; lookup shapes in lookup_tables.cc.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "lookup_tables.h"
#include "police_plan.h"
#include "rule_planning.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::plan {

namespace {

// Punts gotos that close a loop in the chain graph, so the program's control flow is acyclic.
void break_goto_cycles(Plan& plan, const ir::RuleSet& rules, Diagnostics& diags) {
  std::map<uint32_t, std::vector<size_t>> gotos_from;  // chain -> rules that goto elsewhere
  for (size_t i = 0; i < plan.rules.size(); ++i)
    if (plan.rules[i].terminal.kind == Terminal::Kind::kGotoChain)
      gotos_from[plan.rules[i].chain].push_back(i);
  std::set<uint32_t> done, on_path;
  std::function<void(uint32_t)> visit = [&](uint32_t chain) {
    on_path.insert(chain);
    for (size_t i : gotos_from[chain]) {
      auto& pr = plan.rules[i];
      const uint32_t target = pr.terminal.chain;
      if (on_path.contains(target)) {
        pr.offloaded = false;
        pr.terminal = Terminal{Terminal::Kind::kPunt};
        pr.punt_reason = "goto chain " + std::to_string(target) + " closes a loop of chains";
        diags.warning(rules.rules()[i].origin, "filter not offloaded: " + pr.punt_reason, "goto",
                      "the kernel's tc still runs it; break the loop to offload it");
      } else if (!done.contains(target)) {
        visit(target);
      }
    }
    on_path.erase(chain);
    done.insert(chain);
  };
  for (const auto& [chain, unused] : gotos_from)
    if (!done.contains(chain)) visit(chain);
}

// FNV-1a over a tree's nodes and entries, as the maps hold them.
uint64_t tree_digest(const Tree& tree) {
  uint64_t h = 0xcbf29ce484222325;
  const auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ (v >> (8 * i) & 0xff)) * 0x100000001b3;
  };
  for (const TreeNode& n : tree.nodes) mix(encode_tree_node(n));
  for (uint32_t e : tree.entries) mix(e);
  return h;
}

// Everything the code depends on. Table records and buckets are map data, so a change that only
// adds or removes rules under a table's existing tuples leaves the fingerprint alone.
std::string fingerprint(const Plan& plan, const ir::RuleSet& rules) {
  std::ostringstream fp;
  const ParsePlan& p = plan.parse;
  fp << "parse " << p.vlan << p.cvlan << p.mpls << int(p.mpls_depth) << p.arp << p.ipv4 << p.ipv6
     << p.l4 << p.tcp_flags << p.icmp << p.indev << p.src_port_range << p.dst_port_range << ' '
     << p.fields.to_string() << "\nmaps " << plan.stats_slots << ' ' << plan.table_buckets << ' '
     << plan.table_records << ' ' << plan.table_spares << ' ' << plan.table_layout.words
     << plan.table_layout.port_ranges << ' ' << plan.max_chain_hops << " tree " << plan.tree_nodes
     << ' ' << plan.tree_entries;
  fp << " devmap " << plan.redirect_slots << " police " << plan.police_slots << " flows "
     << plan.flow_cache.sets << '/' << plan.flow_cache.cpus << '/' << plan.flow_cache.key_words;
  for (const auto& r : plan.redirects)
    fp << " redirect " << r.slot << '=' << describe_target(r.target);
  for (size_t i = 0; i < plan.action_lists.size(); ++i) {
    const ActionList& list = plan.action_lists[i];
    fp << "\nactions " << i << ' ' << int(list.verdict) << '/' << list.redirect_slot << '/'
       << (list.police_instance ? int64_t(*list.police_instance) : -1) << ':';
    for (const auto& step : list.steps) fp << ' ' << describe_step(step);
    for (const auto& send : list.sends) fp << " send " << describe_target(send);
    if (list.consumed_at_tc) fp << " consumed";
  }
  for (const auto& chain : plan.chains) {
    fp << "\nchain " << chain.chain;
    for (const ChainUnit& unit : chain.units) {
      if (unit.kind == ChainUnit::Kind::kInlineRule) {
        const PlannedRule& pr = plan.rules[unit.index];
        fp << "\n rule " << pr.pref << '/' << pr.handle << '/' << pr.stats_slot << '/'
           << int(pr.terminal.kind) << '/' << pr.terminal.chain << '/' << pr.terminal.redirect_slot
           << '/' << (pr.terminal.actions ? int64_t(*pr.terminal.actions) : -1) << '/'
           << pr.offloaded << '/' << pr.indev_ifindex.value_or(0) << '/'
           << rules.rules()[unit.index].skip_sw << '/' << ir::match_key(rules.rules()[unit.index]);
        continue;
      }
      const Table& t = plan.tables[unit.index];
      fp << "\n table";
      for (const Term& g : t.guards)
        fp << " guard " << g.component.name() << ' ' << g.mask << '=' << g.value;
      for (const auto& pc : t.layout)
        fp << ' ' << pc.component.name() << '@' << int(pc.word) << ':' << int(pc.shift);
      fp << " ranges " << t.src_port_range << t.dst_port_range << " cached " << t.flow_cached
         << int{t.flow_cache_tag} << " spares " << t.spares.size() << " goto";
      for (uint32_t c : t.goto_chains) fp << ' ' << c;
      // A tree is code-sized in its depth and widest leaf, and holds its rules for good: a
      // change to its nodes or leaves is a recompile (the maps are never rewritten under a
      // live walk).
      for (const Tree& tree : t.trees)
        fp << "\n  tree " << tree.floor << ' ' << tree.depth << ' ' << tree.widest_leaf << ' '
           << tree.node_base << ' ' << tree.entry_base << ' ' << tree_digest(tree);
      for (const Tuple& tuple : t.tuples) {
        fp << "\n  tuple " << tuple.id << " floor " << tuple.floor << " mask";
        for (uint64_t m : tuple.mask) fp << ' ' << m;
      }
    }
  }
  return fp.str();
}

// Keeps surviving rules' slots; gives new rules the lowest slots nobody held before.
class StatsSlots {
 public:
  explicit StatsSlots(const std::map<RuleKey, uint32_t>& previous) : previous_(previous) {
    for (const auto& [key, slot] : previous) taken_.insert(slot);
  }
  uint32_t assign(const RuleKey& key) {
    auto it = previous_.find(key);
    uint32_t slot;
    if (it != previous_.end()) {
      slot = it->second;
    } else {
      while (taken_.contains(next_free_)) ++next_free_;
      slot = next_free_;
      taken_.insert(slot);
    }
    size_ = std::max(size_, slot + 1);
    return slot;
  }
  uint32_t size() const { return size_; }

 private:
  const std::map<RuleKey, uint32_t>& previous_;
  std::set<uint32_t> taken_;
  uint32_t next_free_ = 0;
  uint32_t size_ = 0;
};

// Rules with the same steps and verdict share one list (one block of code).
uint32_t action_list_id(Plan& plan, ActionList list) {
  for (size_t i = 0; i < plan.action_lists.size(); ++i)
    if (plan.action_lists[i] == list) return static_cast<uint32_t>(i);
  plan.action_lists.push_back(std::move(list));
  return static_cast<uint32_t>(plan.action_lists.size() - 1);
}

}  // namespace

Plan make_plan(const ir::RuleSet& rules, const PlanOptions& options, Diagnostics& diags) {
  Plan plan;
  StatsSlots slots(options.previous_stats_slots);
  RedirectSlots redirect_slots;
  std::map<uint32_t, ChainPlan> chains;
  chains[0].chain = 0;
  uint64_t action_insns = 0;  // estimated verifier cost of the action lists so far
  std::vector<uint32_t> rule_slots;
  for (const ir::Rule& rule : rules.rules())
    rule_slots.push_back(slots.assign({rule.chain, rule.pref, rule.handle}));
  const auto shared_police = shared_police_ids(rules, rule_slots, options.previous_stats_slots);
  for (size_t i = 0; i < rules.size(); ++i) {
    const ir::Rule& rule = rules.rules()[i];
    const ir::Action* police = police_of(rule);
    // Rules with the same steps and verdict share one list (one block of code), within a budget
    // of verifier instructions for all of them.
    const ActionSink file_actions = [&](ActionList list, std::string& reason) {
      if (police && police->index) list.police_instance = shared_police.at(*police->index);
      const bool fresh = std::find(plan.action_lists.begin(), plan.action_lists.end(), list) ==
                         plan.action_lists.end();
      const uint64_t cost = fresh ? estimated_action_insns(list, plan.action_lists) : 0;
      if (action_insns + cost > kActionInsnBudget) {
        reason = "its actions' code (about " + std::to_string(cost) +
                 " verifier instructions) would take the program's action code past its budget (" +
                 std::to_string(kActionInsnBudget) + ")";
        return std::optional<uint32_t>{};
      }
      action_insns += cost;
      return std::optional<uint32_t>(action_list_id(plan, std::move(list)));
    };
    PlannedRule pr =
        plan_rule(rule, i, rule_slots[i], options, redirect_slots, file_actions, diags);
    chains[rule.chain].chain = rule.chain;
    chains[rule.chain].rules.push_back(i);
    plan.rules.push_back(std::move(pr));
  }
  for (const auto& [target, slot] : redirect_slots) plan.redirects.push_back({slot, target});
  std::sort(plan.redirects.begin(), plan.redirects.end(),
            [](const RedirectTarget& a, const RedirectTarget& b) { return a.slot < b.slot; });
  plan.redirect_slots = static_cast<uint32_t>(plan.redirects.size()) + kRedirectHeadroom;
  break_goto_cycles(plan, rules, diags);
  plan_policers(plan, rules, diags);
  for (size_t i = 0; i < plan.rules.size(); ++i)
    note_fields(rules.rules()[i], evaluated_match(rules.rules()[i], plan.rules[i]), plan.parse);
  for (auto& [id, chain] : chains) plan.chains.push_back(std::move(chain));
  plan.stats_slots = std::max(slots.size(), options.min_stats_slots);
  plan.cpus = std::max<uint32_t>(1, options.cpus);
  // Instances are slots. A list whose rules were all punted later (a shared index) is still code
  // and still names the maps.
  if (std::any_of(plan.action_lists.begin(), plan.action_lists.end(),
                  [](const ActionList& l) { return has_police(l.steps); }))
    plan.police_slots = plan.stats_slots;
  plan_lookup(plan, rules, options.lookup);
  plan.estimated_verifier_insns += action_insns;
  plan_flow_cache(plan, options);
  // A live bucket map that still has room is kept: its size is the plan's.
  size_t buckets = 0;
  for (const Table& t : plan.tables) buckets += t.buckets.size();
  if (!plan.tables.empty() && options.min_table_buckets > 0 && options.min_table_buckets >= buckets)
    plan.table_buckets = options.min_table_buckets;
  plan.shape_fingerprint = fingerprint(plan, rules);
  return plan;
}

ir::Match evaluated_match(const ir::Rule& rule, const PlannedRule& planned) {
  if (planned.offloaded) return rule.match;
  ir::Match widened = rule.match;
  for (size_t i = 0; i < ir::kFieldCount; ++i) {
    const auto layer = ir::field_info(static_cast<ir::Field>(i)).layer;
    if (layer == ir::Layer::kTunnel || layer == ir::Layer::kConntrack) widened.fields[i].reset();
  }
  if (!planned.indev_ifindex) widened.indev.reset();
  return widened;
}

const PlannedRule* Plan::find(uint32_t chain, uint32_t pref, uint32_t handle) const {
  for (const auto& r : rules)
    if (r.chain == chain && r.pref == pref && r.handle == handle) return &r;
  return nullptr;
}

bool ActionList::marks() const {
  return std::any_of(steps.begin(), steps.end(), [](const ir::ActionBody& step) {
    const auto* s = std::get_if<ir::SkbeditAction>(&step);
    return s && s->mark;
  });
}

bool Plan::needs_tc_companion() const {
  return std::any_of(action_lists.begin(), action_lists.end(), [](const ActionList& list) {
    return list.copies_at_tc() || (list.verdict == Terminal::Kind::kPass && list.marks());
  });
}

size_t Plan::punted_count() const {
  return std::count_if(rules.begin(), rules.end(), [](const auto& r) { return !r.offloaded; });
}

}  // namespace tc2xdp::plan
