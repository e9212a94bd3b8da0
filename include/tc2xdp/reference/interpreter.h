// The reference interpreter: the plain, obviously-correct specification of what a rule set does to
// one frame. The compiled program is tested against it; `tc2xdp trace` explains verdicts with it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tc2xdp/ir/rule.h"
#include "tc2xdp/reference/police.h"

namespace tc2xdp::reference {

// XDP return codes (enum xdp_action).
enum class Verdict : uint8_t { kAborted = 0, kDrop = 1, kPass = 2, kTx = 3, kRedirect = 4 };
const char* verdict_name(Verdict v);  // "XDP_DROP", ...

// What the flow dissector extracts from a frame, in the catalogue's byte layout. A field is
// present only if the frame carries it (a truncated frame never matches fields it lacks).
struct FlowKey {
  std::array<std::optional<ir::Bytes16>, ir::kFieldCount> fields{};
  uint16_t n_proto = 0;         // innermost ethertype (after VLAN tags), host order
  uint16_t outer_protocol = 0;  // the frame's ethertype or outer TPID, host order (cls_api check)
  std::optional<uint16_t> src_port, dst_port;  // host order, for ranges
  struct Lse {
    uint32_t label;
    uint8_t tc, bos, ttl;
  };
  std::vector<Lse> mpls;  // top of stack first, at most kMaxMplsDepth
  uint32_t ingress_ifindex = 0;
  // The TPIDs of the first two tags the dissector consumed (0: no such tag). flower keys them
  // implicitly: the outer one for a VLAN protocol, the inner one for a VLAN vlan_ethtype.
  uint16_t vlan_tpid = 0;
  uint16_t cvlan_tpid = 0;
  // Shorter than an Ethernet header: the stack never classifies it; no rule can match.
  bool runt = false;
};

// Parses a frame the way the kernel's flow dissector does for cls_flower.
FlowKey dissect(std::span<const uint8_t> frame, uint32_t ingress_ifindex);

// Maps a device name (indev, mirred dev) to an ifindex; nullopt if unknown.
using DeviceResolver = std::function<std::optional<uint32_t>(const std::string&)>;

struct RuleRef {
  uint32_t chain = 0;
  uint32_t pref = 0;
  uint32_t handle = 0;
  size_t index = 0;  // position in RuleSet::rules()
  bool operator==(const RuleRef&) const = default;
};

// A copy mirred sent before the verdict: out of a device, or into its receive path (ingress).
struct Copy {
  uint32_t ifindex = 0;
  bool ingress = false;
  std::vector<uint8_t> bytes;  // the frame when the copy was taken
  bool operator==(const Copy&) const = default;
};

struct Outcome {
  Verdict verdict = Verdict::kPass;
  std::optional<RuleRef> matched;  // the rule whose action ended classification
  std::vector<RuleRef> hits;       // every rule that matched, in order (counters)
  std::optional<uint32_t> redirect_ifindex;
  bool redirect_ingress = false;  // the redirect enters redirect_ifindex's receive path
  std::vector<Copy> copies;       // mirred copies, in the order they were sent
  std::vector<uint8_t> output;    // the frame as the actions left it
  // skb->mark as skbedit left it (nullopt: no skbedit mark ran). The program hands it on in the
  // XDP metadata area (docs/semantics.md).
  std::optional<uint32_t> mark;
  bool punted = false;      // ended on a rule the compiler cannot offload
  std::string explanation;  // one line per step, for `tc2xdp trace`
};

struct Options {
  DeviceResolver resolve_device;  // may be empty: every name is unknown
  // goto chain / reclassify bound, as __tcf_classify's max_reclassify_loop (16): this many restarts
  // are followed; the next one drops the packet.
  int max_chain_hops = 16;
  // A rule the compiler cannot offload is "punt to the stack": its match ends classification with
  // XDP_PASS. The differential tests pass the compiler's decision here.
  std::function<bool(const ir::Rule&)> is_punted;
  // The match to evaluate for a rule, when it differs from rule.match: the compiler widens a
  // punted rule's match to what XDP can see (plan::evaluated_match). Empty: rule.match.
  std::function<ir::Match(const ir::Rule&)> evaluated_match;
  // Police actions' buckets and counters, carried from frame to frame by the caller. Null: each
  // frame meets police actions created at now_ns (a fresh policer per frame).
  PoliceState* police = nullptr;
  // The clock police actions read (ktime_get_ns), for this frame.
  int64_t now_ns = 0;
};

Outcome classify(const ir::RuleSet& rules, std::span<const uint8_t> frame, uint32_t ingress_ifindex,
                 const Options& options);

// True if the rule would catch the frame: its protocol (cls_api's check against the frame's
// ethertype or outer TPID; `all` matches every frame) and its flower match (resolver needed for
// indev). Evaluates
// options.evaluated_match(rule) when set, else rule.match.
bool matches(const ir::Rule& rule, const FlowKey& key, const Options& options);
// The same for an explicit match; the rule supplies protocol (n_proto, VLAN TPIDs).
bool matches(const ir::Rule& rule, const ir::Match& match, const FlowKey& key,
             const Options& options);

// One line describing what the dissector found, for explanations.
std::string describe(const FlowKey& key);

}  // namespace tc2xdp::reference
