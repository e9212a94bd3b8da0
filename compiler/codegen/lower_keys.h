// The flow key the generated parser hands to the rule compares, and how its values are encoded.
//
// Encoding: a field's value is its catalogue bytes (network order, `width` bytes, as in
// ir::MaskedValue) read as a little-endian integer, i.e. exactly what a raw load from the packet
// gives on BPF. So rule constants are converted once at compile time (plan/match_terms.h) and the
// parser never byte-swaps. 16-byte fields (IPv6 addresses) are two such u64 words.
#pragma once

#include <llvm/IR/Value.h>

#include <array>
#include <cstdint>

#include "tc2xdp/ir/field.h"
#include "tc2xdp/ir/match.h"
#include "tc2xdp/plan/match_terms.h"

namespace tc2xdp::codegen {

// The present bits and the value encoding are the plan's (match_terms.h).
using plan::kPresentEthernet;
using plan::kPresentIpv4Addrs;
using plan::kPresentIpv6Addrs;
using plan::le_of_host;
using plan::present_mpls_bit;

// The key after parsing. Every value is an i64; null when the plan parses no such thing.
// All of them are XORed with an opaque runtime zero (see verifier_hints.h), so the verifier
// sees unknown scalars at the rules and prunes states across parser paths.
struct ParsedKey {
  llvm::Value* present = nullptr;      // present_* bits
  llvm::Value* outer_proto = nullptr;  // the frame's ethertype, or the outer TPID if tagged
  llvm::Value* n_proto = nullptr;      // the ethertype the dissector ended on (behind tags)
  llvm::Value* vlan_tpid = nullptr;    // the outer tag's TPID, 0 if none was dissected
  llvm::Value* cvlan_tpid = nullptr;   // the inner tag's TPID, 0 if none
  // Catalogue fields, word 0 = bytes [0, 8), word 1 = bytes [8, 16) (IPv6 addresses only).
  std::array<std::array<llvm::Value*, 2>, ir::kFieldCount> fields{};
  llvm::Value* src_port_host = nullptr;  // host order, for ranges
  llvm::Value* dst_port_host = nullptr;
  std::array<llvm::Value*, ir::kMaxMplsDepth> mpls{};  // raw label stack entries, top first
  llvm::Value* ingress_ifindex = nullptr;
  llvm::Value* zero = nullptr;  // the opaque runtime zero the values are blinded with

  llvm::Value* field(ir::Field f, int word = 0) const {
    return fields[static_cast<size_t>(f)][word];
  }
  // The value of a match component; null when the plan parses no such thing.
  llvm::Value* value(const plan::Component& c) const {
    using K = plan::Component::Kind;
    switch (c.kind) {
      case K::kPresent: return present;
      case K::kOuterProto: return outer_proto;
      case K::kNProto: return n_proto;
      case K::kVlanTpid: return vlan_tpid;
      case K::kCvlanTpid: return cvlan_tpid;
      case K::kField: return fields[c.index][c.word];
      case K::kMpls: return mpls[c.index];
      case K::kIngressIfindex: return ingress_ifindex;
    }
    return nullptr;
  }
};

}  // namespace tc2xdp::codegen
