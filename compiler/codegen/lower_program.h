// The rule section of the program: chains of rules in classification order, their counters and
// terminals (pass, drop, continue, goto chain, redirect, punt), and the last-match record.
#pragma once

#include "codegen/lower_keys.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

struct MapRef;
class XdpFunction;

struct ProgramMaps {
  const MapRef* stats = nullptr;     // kStatsMap: slot -> plan::SlotCounts (per CPU)
  const MapRef* last_hit = nullptr;  // kLastHitMap
  const MapRef* redirect = nullptr;  // kRedirectMap: devmap slot -> ifindex
  const MapRef* last = nullptr;      // kLastMatchMap: [0] -> stats slot + 1 of the deciding rule
  const MapRef* tuples = nullptr;    // kTupleMap, when the plan has tables
  llvm::GlobalVariable* records = nullptr;  // kRecordMap, when the plan has tables
  const MapRef* spares = nullptr;           // kSpareMap, when the plan has tables
  llvm::GlobalVariable* tree = nullptr;     // kTreeMap, when a table has a tree
  const MapRef* tree_key = nullptr;         // kTreeKeyMap, likewise
  llvm::GlobalVariable* flows = nullptr;    // kFlowCacheMap, when the plan has a flow cache
  const MapRef* police = nullptr;           // kPoliceMap, when the plan has police actions
  const MapRef* police_stats = nullptr;     // kPoliceStatsMap, likewise
  // fanout_map_name(i) for each action list i with a fanout verdict, else nullptr.
  std::vector<const MapRef*> fanouts;
};

// Source lines (BpfModule's source text) of code that belongs to no rule: rule i is line i + 1.
struct ProgramLines {
  unsigned parser = 1;
  unsigned epilogue = 1;
};

// Emits every chain after the parser (the builder sits where `key` is available) and
// terminates the function. Rule i's code is attributed to source line i + 1.
void lower_rules(XdpFunction& fn, const ir::RuleSet& rules, const plan::Plan& plan,
                 const ParsedKey& key, const ProgramMaps& maps, const ProgramLines& lines);

}  // namespace tc2xdp::codegen
