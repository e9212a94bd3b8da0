// The plan: the program's shape, decided from the rules actually in use. Codegen lowers it; the
// runtime fills its maps; the differential tests ask it which rules are punted.
#pragma once

#include <bitset>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/flow_cache.h"
#include "tc2xdp/plan/lookup.h"
#include "tc2xdp/plan/police.h"
#include "tc2xdp/plan/u32_chunks.h"

namespace tc2xdp::plan {

// Which headers the generated parser must walk. Nothing is parsed that no rule reads.
struct ParsePlan {
  bool vlan = false;   // outer 802.1Q/802.1ad tag fields, or n_proto behind a tag
  bool cvlan = false;  // inner tag fields
  bool mpls = false;
  uint8_t mpls_depth = 0;  // deepest LSE some rule keys on (1..7)
  bool arp = false;
  bool ipv4 = false;
  bool ipv6 = false;
  bool l4 = false;  // ports, tcp flags, ICMP type/code
  bool tcp_flags = false;
  bool icmp = false;
  bool indev = false;
  std::bitset<ir::kFieldCount> fields;  // the fields some offloaded rule keys on
  bool src_port_range = false;
  bool dst_port_range = false;
  bool operator==(const ParsePlan&) const = default;
};

// Where mirred sends a frame: out of `dev`, or (ingress) into `dev`'s receive path. XDP reaches a
// device's receive path by transmitting on its veth peer (docs/semantics.md).
struct DeviceTarget {
  std::string dev;
  bool ingress = false;
  auto operator<=>(const DeviceTarget&) const = default;
};

// What a rule does when it matches, reduced to what XDP can do.
// `actions`, when set, names the Plan::action_lists entry whose frame rewrites run before the
// verdict (only for pass, drop and redirect: a rewrite before continue or goto is punted, since
// later rules would need the rewritten frame parsed again).
struct Terminal {
  enum class Kind : uint8_t {
    kPass,       // XDP_PASS (ok, pipe at the end, trap, no action)
    kDrop,       // XDP_DROP
    kContinue,   // fall through to the next rule
    kGotoChain,  // restart in `chain`
    kRedirect,   // XDP_REDIRECT through the devmap slot `redirect_slot`
    kPunt,       // not offloadable: XDP_PASS untouched, so the stack decides
    kFanout,     // XDP_REDIRECT broadcast to the devices of the action list's `sends`
  };
  Terminal() = default;
  explicit Terminal(Kind k, uint32_t goto_chain = 0, uint32_t slot = 0)
      : kind(k), chain(goto_chain), redirect_slot(slot) {}
  Kind kind = Kind::kPass;
  uint32_t chain = 0;
  uint32_t redirect_slot = 0;
  std::optional<uint32_t> actions;
  bool operator==(const Terminal&) const = default;
};

// The frame rewrites an offloaded rule performs, in action order: vlan push/pop/modify, pedit,
// csum, skbedit mark. The list's verdict is the rule's Terminal (pass, drop, redirect or fanout).
// Lists are code (one block each, shared by every rule with the same steps and verdict); which list
// a rule runs is data (a table record's argument).
struct ActionList {
  std::vector<ir::ActionBody> steps;
  Terminal::Kind verdict = Terminal::Kind::kPass;  // kPass, kDrop, kRedirect or kFanout
  uint32_t redirect_slot = 0;
  // kFanout: every device the frame leaves through, in action order (mirred mirror copies, then
  // a redirect's target). The list's own devmap holds them; one broadcast sends them all.
  // kPass: mirred copies of the passed frame, which the tc ingress companion program clones.
  std::vector<DeviceTarget> sends;
  // A police step (plan/police.h) runs the bucket of the rule that decided (its stats slot), or
  // this shared one (filters naming one tc action index).
  std::optional<uint32_t> police_instance;
  // kPass with sends: after the copies the tc companion drops the frame (a redirect or a
  // broadcast with an ingress target XDP cannot transmit to; the copies are then all it sends).
  bool consumed_at_tc = false;
  bool copies_at_tc() const { return verdict == Terminal::Kind::kPass && !sends.empty(); }
  // Whether an skbedit mark is among the steps (written to the metadata area).
  bool marks() const;
  bool operator==(const ActionList&) const = default;
};

struct PlannedRule {
  size_t rule_index = 0;  // into RuleSet::rules()
  uint32_t chain = 0, pref = 0, handle = 0;
  uint16_t protocol = ir::kEthPAll;       // cls_api's protocol check
  std::optional<uint16_t> n_proto;        // flower's eth type key (effective_eth_type)
  uint32_t stats_slot = 0;                // index into the per-rule counters map
  std::optional<uint32_t> indev_ifindex;  // resolved indev, when the rule keys on one
  Terminal terminal;
  bool offloaded = true;
  std::string punt_reason;  // why not, when !offloaded
};

// A step of a chain's classification: one rule compared inline, or a hash table of many.
struct ChainUnit {
  enum class Kind : uint8_t { kInlineRule, kTable };
  Kind kind = Kind::kInlineRule;
  size_t index = 0;  // into Plan::rules or Plan::tables
  bool operator==(const ChainUnit&) const = default;
};

struct ChainPlan {
  uint32_t chain = 0;
  std::vector<size_t> rules;     // indexes into Plan::rules, in classification order
  std::vector<ChainUnit> units;  // the same rules as the program walks them
};

// Devmap slots beyond the plan's targets, for targets added in place.
inline constexpr uint32_t kRedirectHeadroom = 8;

// A devmap slot for mirred redirect, filled by the runtime with the ifindex to transmit on.
struct RedirectTarget {
  uint32_t slot = 0;
  DeviceTarget target;
};

struct Plan {
  ParsePlan parse;
  std::vector<PlannedRule> rules;  // parallel to RuleSet::rules()
  std::vector<ChainPlan> chains;   // chain 0 first, then ascending
  std::vector<RedirectTarget> redirects;
  // The devmap's size: the targets plus headroom, so a rule redirecting to another device can be
  // filed in place (its slot is map data).
  uint32_t redirect_slots = 1;
  std::vector<ActionList> action_lists;  // Terminal::actions indexes
  std::vector<Policer> policers;         // police action instances (plan/police.h)
  uint32_t police_slots = 0;             // the police maps' size (0: no police, no maps)
  // Whether the program needs its tc ingress companion: some list makes copies of a passed frame,
  // or passes a frame with a mark (the companion turns the metadata mark into skb->mark).
  bool needs_tc_companion() const;
  uint32_t stats_slots = 0;  // the counters map's size (>= every rule's slot + 1)
  // The CPUs the counters map has an element for (PlanOptions::cpus); the loader raises it to the
  // machine's possible CPUs, so a plan made elsewhere still counts every CPU's packets.
  uint32_t cpus = 1;
  uint32_t max_chain_hops = 16;  // goto chain bound; beyond it the packet is dropped
  std::vector<Table> tables;
  TableLayout table_layout;    // W: the widest table's packed words
  uint32_t table_buckets = 0;  // the bucket map's size (with headroom)
  uint32_t table_records = 0;  // the record map's size (>= every record id + 1)
  uint32_t table_spares = 0;   // the spares map's size (every table's kSpareTuples entries)
  uint32_t tree_nodes = 0;     // the tree maps' sizes: every table's tree nodes and leaf entries
  uint32_t tree_entries = 0;
  FlowCache flow_cache;
  // The planner's estimate of the instructions the verifier processes (its limit is 1M).
  uint64_t estimated_verifier_insns = 0;
  // Equal for two plans whose programs differ only in map contents.
  std::string shape_fingerprint;

  const PlannedRule* find(uint32_t chain, uint32_t pref, uint32_t handle) const;
  size_t punted_count() const;
};

// A rule's identity within one hook.
struct RuleKey {
  uint32_t chain = 0, pref = 0, handle = 0;
  auto operator<=>(const RuleKey&) const = default;
};

// How the planner chooses between inline compares and hash tables.
enum class LookupPolicy : uint8_t {
  kCostModel,    // tables where their estimated cost beats a linear scan
  kAlwaysTable,  // every eligible run of prefs, tuples only (tests: tables on small sets)
  kAlwaysTree,   // tables as kAlwaysTable, each with two cut trees from one-rule groups (tests)
  kNoTree,       // the cost model's choice between inline and tables, but never a tree
  kInlineOnly,   // no tables (benchmarks' baseline)
};

struct PlanOptions {
  // indev and mirred device names to ifindexes; a rule naming an unknown device is punted.
  std::function<std::optional<uint32_t>(const std::string&)> resolve_device;
  // The previous program's stats slots. A rule found here keeps its slot, so its counters survive
  // a recompile in the reused map; new rules take slots none of these use (a slot freed by this
  // change may still be counted into by the old program until the swap).
  std::map<RuleKey, uint32_t> previous_stats_slots;
  // The counters map's size is at least this (headroom, so it can be reused as rules grow).
  uint32_t min_stats_slots = 0;
  LookupPolicy lookup = LookupPolicy::kCostModel;
  // The live bucket map's size: kept while the buckets fit, so added rules can be map writes.
  uint32_t min_table_buckets = 0;
  // For mirred ingress: the device to transmit on so a frame arrives in `dev`'s receive path (its
  // veth peer), or nullopt if XDP cannot reach it; unset, every ingress target is punted.
  std::function<std::optional<uint32_t>(const std::string&)> resolve_ingress;
  // Flow cache entries per CPU (plan/flow_cache.h); 0: no cache.
  uint32_t flow_cache_entries = 0;
  // The machine's possible CPUs: the counters map's elements and the flow cache's regions.
  uint32_t cpus = 1;
};

// Decides the plan. Rules that cannot be offloaded become punts (never dropped silently); each
// gets a warning diagnostic at its origin naming the reason.
Plan make_plan(const ir::RuleSet& rules, const PlanOptions& options, Diagnostics& diags);

// The match the program evaluates for a rule. Offloaded rules: their match. Punted rules: their
// match without the keys XDP cannot see (tunnel metadata, conntrack, an unknown indev), so the punt
// catches every packet the rule might match and no later rule steals one.
ir::Match evaluated_match(const ir::Rule& rule, const PlannedRule& planned);

// What verifying a list's code adds to a program that already has `existing`, in instructions the
// verifier processes (measured with bpftool on this kernel). The csum code is shared by every list
// with the same flags, so only a list with new flags pays for it (10-25k: it walks tags, IPv6
// extension headers and sums in chunks).
uint64_t estimated_action_insns(const ActionList& list, const std::vector<ActionList>& existing);

// Action code of a whole program stays under this, so rule matching keeps most of the verifier's
// 1M-instruction limit; a rule whose new list would pass it is punted.
inline constexpr uint64_t kActionInsnBudget = 300000;

// A human-readable account of the plan: what is parsed, each rule's terminal or punt reason.
std::string describe(const Plan& plan, const ir::RuleSet& rules);
const char* terminal_name(Terminal::Kind kind);
// One rewrite step with all its arguments ("vlan push 0x8100 id 5 prio 3", "pedit ip4+8 add ..").
std::string describe_step(const ir::ActionBody& step);
// "dev NAME" or "ingress dev NAME".
std::string describe_target(const DeviceTarget& target);
// The ifindex XDP transmits on to reach `target`: the device itself, or for ingress its veth peer.
std::optional<uint32_t> transmit_ifindex(const DeviceTarget& target, const PlanOptions& options);

// Per-rule counters as the runtime reports them (runtime/rule_counters.h).
struct RuleCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t last_hit_ns = 0;  // bpf_ktime_get_coarse_ns() of the last hit; 0 if never
};

// What the program stores for a rule: per CPU, its counts (the stats map), and once, its last hit
// (the last-hit map: bpf_ktime_get_coarse_ns() >> kLastHitShift as a u32, kU32Chunk slots to an
// element, u32_chunks.h). A time per CPU cost 16
// bytes a rule here; one shared u32 is written only when its 16.8 ms unit changes, so CPUs
// hitting one rule rarely write its line. The units wrap after 2.28 years; tc shows seconds.
struct SlotCounts {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};
inline constexpr unsigned kLastHitShift = 24;

}  // namespace tc2xdp::plan
