// The flow key the generated parser hands to the rule compares, and how its values are encoded.
//
// Encoding: a field's value is its catalogue bytes (network order, `width` bytes, as in
// ir::MaskedValue) read as a little-endian integer, i.e. exactly what a raw load from the packet
// gives on BPF. So rule constants are converted once at compile time (le_word) and the parser
// never byte-swaps. 16-byte fields (IPv6 addresses) are two such u64 words.
#pragma once

#include <llvm/IR/Value.h>

#include <array>
#include <cstdint>

#include "tc2xdp/ir/field.h"
#include "tc2xdp/ir/match.h"

namespace tc2xdp::codegen {

// Bits of ParsedKey::present. Absent fields read as zero, as in the kernel's zeroed skb key; only
// what the kernel guards by a flag needs a bit: the Ethernet header (shorter frames are never
// classified), the IPv4/IPv6 addresses (control.addr_type) and each MPLS LSE (used_lses).
inline constexpr uint64_t kPresentEthernet = uint64_t{1} << 0;
inline constexpr uint64_t kPresentIpv4Addrs = uint64_t{1} << 1;
inline constexpr uint64_t kPresentIpv6Addrs = uint64_t{1} << 2;
inline constexpr uint64_t present_mpls_bit(int depth) {
  return uint64_t{1} << (8 + depth - 1);
}
static_assert(ir::kMaxMplsDepth <= 8);

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
};

// bytes[offset, offset + n) read as a little-endian integer (n <= 8).
inline uint64_t le_word(const ir::Bytes16& bytes, size_t offset, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{bytes[offset + i]} << (8 * i);
  return v;
}

// A host-order value as the little-endian load of its `n` network-order bytes gives it.
inline uint64_t le_of_host(uint64_t host, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= ((host >> (8 * (n - 1 - i))) & 0xff) << (8 * i);
  return v;
}

}  // namespace tc2xdp::codegen
