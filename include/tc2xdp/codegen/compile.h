// Rules + plan -> one XDP program, as a BPF ELF object in memory.
#pragma once

#include <string>

#include "tc2xdp/codegen/bpf_program.h"
#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

// The names every compiled program uses; the runtime and the tests find maps by them.
inline constexpr const char* kProgramName = "tc2xdp_main";
// The counters (runtime/stats_map.h): an mmapable ARRAY u32 CPU -> plan::SlotCounts of every
// plan stats slot; Plan::cpus elements, raised to the possible CPUs by runtime::BpfObject::load.
inline constexpr const char* kStatsMap = "t2x_stats";
// ARRAY u32 -> plan::kU32Chunk u32 last hits (plan::SlotCounts), slot s at s % kU32Chunk of
// element s / kU32Chunk.
inline constexpr const char* kLastHitMap = "t2x_last_hit";
// DEVMAP: redirect slot -> ifindex (plan::Plan::redirects), filled by the runtime.
inline constexpr const char* kRedirectMap = "t2x_redirect";
// DEVMAP per action list with a fanout verdict: slot i -> the ifindex of plan::ActionList::sends[i]
// (its veth peer for an ingress target), filled by the runtime; one broadcast sends to them all.
std::string fanout_map_name(size_t action_list);

// The tc ingress companion: a SCHED_CLS program in the same object, attached by the runtime at
// tcx ingress while the plan needs it (plan::Plan::needs_tc_companion). XDP cannot clone or set
// skb->mark; it leaves a copy tag and the mark in the metadata area, and the companion clones the
// frame (bpf_clone_redirect) to each of the tagged list's devices and sets skb->mark.
inline constexpr const char* kTcCompanionProgramName = "tc2xdp_tc_in";
// ARRAY per such action list: slot i -> sends[i]'s ifindex | ingress << 32, filled by the runtime.
std::string copies_map_name(size_t action_list);
// The tag, a host-order u32 4 bytes before the mark: 0x54, the program's generation, the list.
// The generation keeps a companion from cloning by another program's list during a swap.
inline constexpr uint32_t kCopyTagMagic = 0x54;
inline constexpr uint32_t copy_tag(size_t action_list, uint8_t generation) {
  return kCopyTagMagic << 24 | uint32_t{generation} << 16 | (action_list & 0xffff);
}
uint8_t copy_generation(const plan::Plan& plan);
// PERCPU_ARRAY with one u32: the stats slot + 1 of the rule whose action ended classification
// of the last packet on this CPU (a punted rule counts), 0 on a miss. Slots, unlike positions,
// stay with their rules as rules come and go.
inline constexpr const char* kLastMatchMap = "t2x_last";
// Lookup tables (plan/lookup.h): hash of {tuple, packed key} -> bucket of record ids, and the
// records by id (the rule's stats slot), global data: one element of Plan::table_records records
// of TableLayout::record_size() bytes, mmapable so the runtime edits single records in place.
// Declared only when the plan has tables.
inline constexpr const char* kTupleMap = "t2x_tuples";
inline constexpr const char* kRecordMap = ".bss.t2x_records";
inline constexpr const char* kSpareMap = "t2x_spares";
// The cut trees (plan/lookup.h), when some table has one: global data, a one-element array of
// u32s, every tree's nodes (plan::encode_tree_node) at Plan::tree_nodes words, then every leaf's
// entries (record ids). libbpf names the map after the section. With it, a per-CPU scratch
// holding the walks' key dimensions.
inline constexpr const char* kTreeMap = ".bss.t2x_tree";
inline constexpr const char* kTreeKeyMap = "t2x_tree_key";
// The flow cache (plan/flow_cache.h), when the plan has one: global data, the generation then
// each CPU's sets.
inline constexpr const char* kFlowCacheMap = ".bss.t2x_flows";
// Names the layout of the maps here as this build writes them. An interface's saved state
// records the layout of the program attached to it; the runtime edits the maps of a program
// only if it was built to this layout, else it recompiles. Change the text whenever a map's
// kind, layout or meaning changes.
inline constexpr const char* kProgramLayout =
    "2026-12-06d: records, cut trees and the flow cache (u32 metas, walks per CPU) in "
    "global data, counters in an array of a CPU's slots, last hits";
// Police (plan/police.h), declared only when the plan has police actions: ARRAY u32 instance ->
// plan::PolicerValue (the bucket under a bpf_spin_lock, and its configuration), and PERCPU_ARRAY
// u32 instance -> plan::PoliceCounters. Both have plan::Plan::police_slots entries.
inline constexpr const char* kPoliceMap = "t2x_police";
inline constexpr const char* kPoliceStatsMap = "t2x_police_cnt";

// Lowers the plan. Errors only for internal failures (LLVM); rules the plan punts are compiled as
// punts, never dropped.
Result<BpfProgram> compile(const ir::RuleSet& rules, const plan::Plan& plan,
                           const EmitOptions& options = {});

}  // namespace tc2xdp::codegen
