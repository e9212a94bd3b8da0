// One flower filter and the rule set that orders them the way cls_api and cls_flower do.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/action.h"
#include "tc2xdp/ir/match.h"

namespace tc2xdp::ir {

inline constexpr uint16_t kEthPAll = 0x0003;  // "protocol all"
inline constexpr uint32_t kAutoPrefBase = 0xC000;  // tcf_auto_prio: first pref in an empty chain

enum class Hook : uint8_t { kIngress, kEgress, kParent };

struct Rule {
  // Where it is attached. Compilation and interpretation ignore dev; the runtime uses it.
  std::string dev;
  Hook hook = Hook::kIngress;
  uint32_t parent = 0;  // for kParent, tc's major:minor packed

  // Identity. pref/handle 0 means "not given"; RuleSet::apply assigns tc's defaults.
  uint32_t chain = 0;
  uint32_t pref = 0;
  uint16_t protocol = kEthPAll;  // host order ethertype; kEthPAll for "all"
  uint32_t handle = 0;

  Match match;
  std::vector<Action> actions;

  bool skip_sw = false;
  bool skip_hw = false;
  bool verbose = false;
  std::optional<uint32_t> classid;
  std::optional<uint8_t> hw_tc;

  SourceLocation origin;

  // Equal in every field that tc would print back (origin excluded).
  bool same_filter(const Rule& other) const;
};

// The ethertype flower keys as n_proto: the innermost one the rule names (protocol, then
// vlan_ethtype, then cvlan_ethtype). nullopt for "protocol all" (no n_proto key).
std::optional<uint16_t> effective_eth_type(const Rule& rule);

enum class CommandOp : uint8_t { kAdd, kReplace, kChange, kDelete };

struct Command {
  CommandOp op = CommandOp::kAdd;
  Rule rule;  // for kDelete only dev/hook/chain/pref/protocol/handle (and the match, if given) matter
};

// The filters of one hook in the order the kernel classifies them:
// chain, then ascending pref, then within one (chain, pref) instance by mask creation order,
// then by filter creation order within a mask (which only matters for port ranges).
class RuleSet {
 public:
  // Applies one command with tc's semantics: default pref (tcf_auto_prio) and handle (lowest free
  // >= 1 per instance), protocol and kind checks per instance, duplicate (same mask and key)
  // rejection. On error nothing changes and a located diagnostic is added.
  bool apply(const Command& cmd, Diagnostics& diags);

  // Applies all commands or none.
  bool apply_all(const std::vector<Command>& cmds, Diagnostics& diags);

  // Rules in classification order.
  const std::vector<Rule>& rules() const { return rules_; }
  size_t size() const { return rules_.size(); }
  bool empty() const { return rules_.empty(); }

  const Rule* find(uint32_t chain, uint32_t pref, uint32_t handle) const;

 private:
  struct Slot {
    uint64_t mask_order;    // creation sequence of the rule's mask in its instance
    uint64_t filter_order;  // creation sequence of the rule itself
  };
  void resort();
  std::vector<Rule> rules_;
  std::vector<Slot> slots_;  // parallel to rules_
  uint64_t next_seq_ = 1;
};

// Stable identity of the mask a rule uses inside its instance (fields' masks, range presence,
// MPLS per-depth masks, indev presence). Two rules with equal mask keys share a kernel mask.
std::string mask_key(const Rule& rule);
// mask_key plus the masked values: equal for exact duplicates.
std::string match_key(const Rule& rule);

}  // namespace tc2xdp::ir
