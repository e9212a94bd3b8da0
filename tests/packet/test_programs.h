// Small XDP programs built with codegen's IR builder, shared by the packet tests.
#pragma once

#include "tc2xdp/codegen/bpf_program.h"
#include "tc2xdp/diagnostic.h"

namespace tc2xdp::testing {

// Parses Ethernet (bounds checked). Counts in PERCPU_ARRAY "eth_counts" at index 1 for IPv4,
// 0 otherwise; returns XDP_DROP for IPv4 with a full 20-byte IPv4 header, XDP_PASS for other
// ethertypes and XDP_ABORTED for frames too short for what it reads (<14, or IPv4 <34 bytes).
Result<codegen::BpfProgram> build_ethertype_counter(const codegen::EmitOptions& options = {});

// Reads the ethertype without checking data_end: the verifier must reject it. The read is
// attributed to line 2, "rule 7: read ethertype unchecked", of the module's source text.
Result<codegen::BpfProgram> build_unchecked_read();

// IPv4 dst looked up in LPM_TRIE "routes" (key {u32 prefixlen; u8 addr[4]}, value u32 port);
// a hit redirects through DEVMAP "ports" (bpf_redirect_map, XDP_PASS on a miss), else XDP_PASS.
// Non-IPv4 or short frames: XDP_PASS.
Result<codegen::BpfProgram> build_lpm_redirect();

}  // namespace tc2xdp::testing
