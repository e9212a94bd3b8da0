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

inline constexpr uint16_t kEthPAll = 0x0003;       // "protocol all"
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

// The ethertype flower keys as n_proto, as fl_set_key derives it: the rule's protocol, or for a
// VLAN protocol its vlan_ethtype, or for a VLAN vlan_ethtype its cvlan_ethtype. nullopt when
// nothing is keyed: "protocol all", or a VLAN type with no ethertype named after it.
std::optional<uint16_t> effective_eth_type(const Rule& rule);

enum class CommandOp : uint8_t { kAdd, kReplace, kChange, kDelete };

struct Command {
  CommandOp op = CommandOp::kAdd;
  Rule rule;  // for kDelete only dev/hook/chain/pref/protocol/handle (and the match, if given)
              // matter
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
  const std::vector<Rule>& rules() const;
  size_t size() const { return by_order_.size(); }
  bool empty() const { return by_order_.empty(); }

  const Rule* find(uint32_t chain, uint32_t pref, uint32_t handle) const;

  // The rule the last successful add, replace or change put in (pref and handle resolved).
  const Rule* last_inserted() const;
  // The handles of the filters of one (chain, pref), ascending.
  std::vector<uint32_t> handles_of(uint32_t chain, uint32_t pref) const;
  // Whether no rule of the rule's (chain, pref) classifies after it.
  bool last_of_instance(uint32_t chain, uint32_t pref, uint32_t handle) const;

 private:
  // Position in classification order.
  struct OrderKey {
    uint32_t chain;
    uint32_t pref;
    uint64_t mask_seq;    // creation sequence of the rule's mask in its instance
    uint64_t filter_seq;  // creation sequence of the rule itself
    auto operator<=>(const OrderKey&) const = default;
  };
  struct MaskUse {
    uint64_t seq;
    size_t filters;  // the kernel frees a mask when its last filter goes
  };
  // One (chain, pref): a tcf_proto with its protocol, masks and handles.
  struct Instance {
    uint16_t protocol;
    std::map<std::string, MaskUse> masks;  // by mask_key
    std::map<uint32_t, OrderKey> by_handle;
    std::map<std::string, uint32_t> handle_by_match;  // by match_key, for duplicate checks
  };
  using InstanceId = std::pair<uint32_t, uint32_t>;  // chain, pref

  bool add_or_replace(const Command& cmd, Diagnostics& diags);
  bool change(const Command& cmd, Diagnostics& diags);
  bool remove(const Command& cmd, Diagnostics& diags);
  void insert(Instance& inst, Rule rule);
  void erase(Instance& inst, uint32_t handle);
  uint32_t auto_pref(uint32_t chain) const;

  std::map<OrderKey, Rule> by_order_;
  std::map<InstanceId, Instance> instances_;
  uint64_t next_seq_ = 1;
  mutable std::vector<Rule> ordered_;  // by_order_ flattened, rebuilt after changes
  mutable bool ordered_stale_ = false;
  std::optional<OrderKey> last_inserted_;
};

// Stable identity of the mask a rule uses inside its instance (fields' masks, range presence,
// MPLS per-depth masks, indev presence). Two rules with equal mask keys share a kernel mask.
std::string mask_key(const Rule& rule);
// mask_key plus the masked values: equal for exact duplicates.
std::string match_key(const Rule& rule);

}  // namespace tc2xdp::ir
