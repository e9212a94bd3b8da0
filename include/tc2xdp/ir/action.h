// Actions of a flower filter, as tc's act_* modules define them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tc2xdp::ir {

// The control verdict an action returns (TC_ACT_* / parse_action_control in iproute2).
enum class ControlKind : uint8_t {
  kOk,          // "ok" / "pass": TC_ACT_OK, ends classification
  kDrop,        // "drop" / "shot": TC_ACT_SHOT
  kContinue,    // TC_ACT_UNSPEC: go on to the next filter (next pref)
  kPipe,        // TC_ACT_PIPE: go on to the next action of this filter
  kReclassify,  // TC_ACT_RECLASSIFY: restart classification
  kStolen,      // TC_ACT_STOLEN: consumed (mirred redirect's default)
  kTrap,        // TC_ACT_TRAP
  kGotoChain,   // TC_ACT_GOTO_CHAIN | arg
  kJump,        // TC_ACT_JUMP | arg: skip arg actions of this filter
};

struct Control {
  ControlKind kind = ControlKind::kPipe;
  uint32_t arg = 0;  // chain for kGotoChain, count for kJump
  bool operator==(const Control&) const = default;
};

struct GactAction {
  Control control;  // the verdict itself
  bool operator==(const GactAction&) const = default;
};

struct MirredAction {
  bool ingress = false;  // ingress vs egress
  bool redirect = true;  // redirect vs mirror
  std::string dev;
  bool operator==(const MirredAction&) const = default;
};

struct VlanAction {
  enum class Op : uint8_t { kPush, kPop, kModify, kPopEth, kPushEth };
  Op op = Op::kPop;
  uint16_t id = 0;
  uint16_t protocol = 0x8100;  // host order TPID for push/modify
  std::optional<uint8_t> priority;
  std::array<uint8_t, 6> dst_mac{};  // push_eth
  std::array<uint8_t, 6> src_mac{};  // push_eth
  bool operator==(const VlanAction&) const = default;
};

// One pedit key. Named fields resolve to a header, an offset and a width; raw keys use the offset
// form.
struct PeditKey {
  enum class Header : uint8_t { kRaw, kEth, kIp4, kIp6, kTcp, kUdp, kIcmp };
  enum class Op : uint8_t { kSet, kAdd, kDecrement, kPreserve };
  Header header = Header::kRaw;
  std::string field;    // canonical tc name ("dst", "ttl", "sport", ...); empty for raw
  uint32_t offset = 0;  // byte offset within the header
  uint8_t width = 4;    // bytes affected: 1, 2, 4, 6 or 16
  Op op = Op::kSet;
  std::array<uint8_t, 16> value{};  // network order, `width` bytes
  std::optional<uint32_t> retain;   // bits of the field that are changed (tc's "retain")
  bool operator==(const PeditKey&) const = default;
};

struct PeditAction {
  bool extended = true;  // "ex"
  std::vector<PeditKey> keys;
  bool operator==(const PeditAction&) const = default;
};

struct CsumAction {
  // TCA_CSUM_UPDATE_FLAG_* bits: IPV4HDR=1 ICMP=2 IGMP=4 TCP=8 UDP=16 UDPLITE=32 SCTP=64
  uint32_t flags = 0;
  bool operator==(const CsumAction&) const = default;
};

struct TunnelKeyAction {
  bool unset = false;
  std::optional<std::array<uint8_t, 16>> src_ip;  // v4 in the first 4 bytes when !ipv6
  std::optional<std::array<uint8_t, 16>> dst_ip;
  bool ipv6 = false;
  std::optional<uint32_t> key_id;
  std::optional<uint16_t> dst_port;
  std::optional<uint8_t> tos;
  std::optional<uint8_t> ttl;
  bool no_csum = false;
  bool operator==(const TunnelKeyAction&) const = default;
};

struct PoliceAction {
  uint64_t rate_bytes_per_sec = 0;  // 0: no byte rate
  uint32_t burst_bytes = 0;
  // "burst SIZE/CELL": log2 of the rate table's cell, which sets the default mtu (255 cells).
  std::optional<uint8_t> burst_cell_log;
  uint32_t mtu = 0;
  uint64_t peakrate_bytes_per_sec = 0;
  uint64_t pkts_rate = 0;  // packets per second, 0: none
  uint64_t pkts_burst = 0;
  Control exceed{ControlKind::kReclassify};
  Control conform{ControlKind::kOk};
  bool operator==(const PoliceAction&) const = default;
};

struct SkbeditAction {
  std::optional<uint32_t> mark;
  std::optional<uint32_t> mark_mask;
  std::optional<uint32_t> priority;  // major:minor packed as tc handles
  std::optional<uint16_t> queue_mapping;
  std::optional<uint16_t> ptype;  // PACKET_HOST etc.
  bool inherit_dsfield = false;
  bool operator==(const SkbeditAction&) const = default;
};

struct CtAction {
  bool clear = false;
  bool commit = false;
  bool force = false;
  uint16_t zone = 0;
  std::optional<uint32_t> mark;
  std::optional<uint32_t> mark_mask;
  enum class Nat : uint8_t { kNone, kSrc, kDst, kRestore } nat = Nat::kNone;
  std::optional<std::array<uint8_t, 16>> nat_min_ip;
  std::optional<std::array<uint8_t, 16>> nat_max_ip;
  bool nat_ipv6 = false;
  std::optional<uint16_t> nat_min_port;
  std::optional<uint16_t> nat_max_port;
  bool operator==(const CtAction&) const = default;
};

using ActionBody = std::variant<GactAction, MirredAction, VlanAction, PeditAction, CsumAction,
                                TunnelKeyAction, PoliceAction, SkbeditAction, CtAction>;

struct Action {
  ActionBody body;
  // What the action returns after doing its work. For gact it mirrors GactAction::control.
  // Defaults follow iproute2: mirred redirect → stolen, mirror → pipe, police exceed per
  // PoliceAction, pedit/csum → ok, vlan/tunnel_key/skbedit/ct → pipe.
  Control control;
  std::optional<uint32_t> index;  // tc's shared action index
  bool operator==(const Action&) const = default;
};

// The tc name of an action kind: "gact", "mirred", "vlan", "pedit", "csum", ...
const char* action_kind_name(const ActionBody& body);

}  // namespace tc2xdp::ir
