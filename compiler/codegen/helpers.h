// Calls to BPF helpers. A helper is called through its id cast to a function pointer;
// the BPF backend turns `call inttoptr(id)` into `call id`.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <cstdint>

namespace tc2xdp::codegen {

// Ids from the kernel's `enum bpf_func_id` (uapi/linux/bpf.h, stable ABI).
enum class BpfHelper : uint32_t {
  kMapLookupElem = 1,
  kMapUpdateElem = 2,
  kMapDeleteElem = 3,
  kCloneRedirect = 13,
  kKtimeGetNs = 5,
  kTracePrintk = 6,
  kGetSmpProcessorId = 8,
  kRedirect = 23,
  kCsumDiff = 28,
  kXdpAdjustHead = 44,
  kRedirectMap = 51,
  kXdpAdjustMeta = 54,
  kXdpAdjustTail = 65,
  kFibLookup = 69,
  kSpinLock = 93,
  kSpinUnlock = 94,
  kKtimeGetCoarseNs = 160,
};

// A raw helper call: `ret (args...)` through inttoptr(id).
llvm::CallInst* call_helper(llvm::IRBuilderBase& b, BpfHelper id, llvm::Type* ret,
                            llvm::ArrayRef<llvm::Value*> args, const llvm::Twine& name = "");

// Map arguments are the `.maps` global itself (its address); libbpf patches in the map fd.
// void *bpf_map_lookup_elem(map, const void *key): null when absent.
llvm::Value* map_lookup_elem(llvm::IRBuilderBase& b, llvm::GlobalVariable* map,
                             llvm::Value* key_ptr, const llvm::Twine& name = "");
// long bpf_map_update_elem(map, const void *key, const void *value, u64 flags)
llvm::Value* map_update_elem(llvm::IRBuilderBase& b, llvm::GlobalVariable* map,
                             llvm::Value* key_ptr, llvm::Value* value_ptr, uint64_t flags);
// A u32 map of plan::kU32Chunk values to an element (plan/u32_chunks.h): the element holding
// value `index` (an integer of any width; the key, i32) and the value's address in `chunk`, that
// element (its offset masked, so the verifier sees it within the element).
llvm::Value* u32_chunk_key(llvm::IRBuilderBase& b, llvm::Value* index);
llvm::Value* u32_in_chunk(llvm::IRBuilderBase& b, llvm::Value* chunk, llvm::Value* index);

// u64 bpf_ktime_get_ns(void)
llvm::Value* ktime_get_ns(llvm::IRBuilderBase& b);
// u64 bpf_ktime_get_coarse_ns(void): CLOCK_MONOTONIC_COARSE, a tick's resolution and no clock
// read (a clock read costs 10-20 ns per packet in a VM).
llvm::Value* ktime_get_coarse_ns(llvm::IRBuilderBase& b);
// long bpf_spin_lock(struct bpf_spin_lock *) / bpf_spin_unlock: `lock` must point at the map
// value's bpf_spin_lock member. Between them: no helper calls, no exit.
void spin_lock(llvm::IRBuilderBase& b, llvm::Value* lock);
void spin_unlock(llvm::IRBuilderBase& b, llvm::Value* lock);
// long bpf_redirect_map(map, u64 key, u64 flags): XDP_REDIRECT, or flags' low bits on a miss.
llvm::Value* redirect_map(llvm::IRBuilderBase& b, llvm::GlobalVariable* map, llvm::Value* key,
                          uint64_t flags);
// long bpf_xdp_adjust_head(struct xdp_md *ctx, int delta): 0 on success. Invalidates
// data/data_end: reload them (XdpFunction::reload_packet_bounds) before touching the packet.
llvm::Value* xdp_adjust_head(llvm::IRBuilderBase& b, llvm::Value* ctx, llvm::Value* delta);
// long bpf_xdp_adjust_meta(struct xdp_md *ctx, int delta): 0 on success; invalidates data_meta
// and the packet bounds like adjust_head.
llvm::Value* xdp_adjust_meta(llvm::IRBuilderBase& b, llvm::Value* ctx, int32_t delta);
// s64 bpf_csum_diff(NULL, 0, to, size, seed): csum_partial(to, size, seed), size a multiple of 4
// up to 512; `to` may point into the packet.
llvm::Value* csum_partial(llvm::IRBuilderBase& b, llvm::Value* to, uint32_t size,
                          llvm::Value* seed);

}  // namespace tc2xdp::codegen
