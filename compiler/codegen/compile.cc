// codegen::compile: the maps, the parser, the rules, one BPF object.
#include "tc2xdp/codegen/compile.h"

#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>

#include "codegen/bpf_module.h"
#include "codegen/lower_parser.h"
#include "codegen/lower_police.h"
#include "codegen/lower_program.h"
#include "codegen/lower_tc_companion.h"
#include "tc2xdp/plan/plan.h"

namespace tc2xdp::codegen {

namespace {

// One line per rule (line i + 1 is rule i), then the lines of generated code that belong to no
// rule, so verifier logs and `bpftool prog dump` point at rules. codegen does not depend on the
// front end, so a rule is shown by identity and origin rather than reprinted as tc syntax.
std::string source_text(const ir::RuleSet& rules, const plan::Plan& plan, ProgramLines& lines) {
  std::string text;
  for (size_t i = 0; i < rules.size(); ++i) {
    const ir::Rule& rule = rules.rules()[i];
    const plan::PlannedRule& planned = plan.rules[i];
    char identity[160];
    std::snprintf(identity, sizeof identity, "chain %u pref %u handle 0x%x protocol 0x%04x -> %s",
                  rule.chain, rule.pref, rule.handle, rule.protocol,
                  plan::terminal_name(planned.terminal.kind));
    text += identity;
    if (planned.terminal.kind == plan::Terminal::Kind::kGotoChain)
      text += " " + std::to_string(planned.terminal.chain);
    if (!rule.origin.file.empty()) {
      text += "  # " + rule.origin.file + ":" + std::to_string(rule.origin.line);
    }
    text += '\n';
  }
  lines.parser = static_cast<unsigned>(rules.size() + 1);
  text += "<flow dissector: the headers the rules key on>\n";
  lines.epilogue = lines.parser + 1;
  text += "<epilogue: counters, last match, verdict>\n";
  return text;
}

}  // namespace

std::string fanout_map_name(size_t action_list) {
  return "t2x_fan_" + std::to_string(action_list);  // within BPF_OBJ_NAME_LEN for 10^7 lists
}

namespace {

Result<BpfProgram> compile_once(const ir::RuleSet& rules, const plan::Plan& plan,
                                const EmitOptions& options) {
  if (plan.rules.size() != rules.size()) {
    return Error{"codegen::compile", 0,
                 "plan has " + std::to_string(plan.rules.size()) + " rules, the rule set " +
                     std::to_string(rules.size())};
  }
  ProgramLines lines;
  BpfModule module("tc2xdp", source_text(rules, plan, lines));

  static_assert(sizeof(plan::SlotCounts) == 16);
  ProgramMaps maps;
  const uint32_t slots = std::max<uint32_t>(1, plan.stats_slots);
  // Per slot {packets, bytes}: u64 counts[2 * slot + 0/1].
  const BtfType counters = BtfType::structure("t2x_cpu_counts", {{"counts", 8, 2 * slots}});
  maps.stats = &module.declare_map(
      {kStatsMap, MapKind::kArray, BtfType::u32(), counters, plan.cpus, BPF_F_MMAPABLE});
  maps.last_hit =
      &module.declare_map({kLastHitMap, MapKind::kArray, BtfType::u32(),
                           BtfType::structure("t2x_last_hits", {{"units", 4, plan::kU32Chunk}}),
                           plan::u32_chunks(slots)});
  maps.redirect = &module.declare_map({kRedirectMap, MapKind::kDevmap, BtfType::u32(),
                                       BtfType::u32(), std::max<uint32_t>(1, plan.redirect_slots)});
  maps.fanouts.assign(plan.action_lists.size(), nullptr);
  for (size_t i = 0; i < plan.action_lists.size(); ++i) {
    const plan::ActionList& list = plan.action_lists[i];
    if (list.verdict != plan::Terminal::Kind::kFanout) continue;
    maps.fanouts[i] =
        &module.declare_map({fanout_map_name(i), MapKind::kDevmap, BtfType::u32(), BtfType::u32(),
                             static_cast<uint32_t>(std::max<size_t>(1, list.sends.size()))});
  }
  maps.last = &module.declare_map(
      {kLastMatchMap, MapKind::kPercpuArray, BtfType::u32(), BtfType::u32(), 1});

  if (!plan.tables.empty()) {
    const plan::TableLayout& layout = plan.table_layout;
    const uint32_t w = layout.words;
    maps.tuples = &module.declare_map(
        {kTupleMap, MapKind::kHash,
         BtfType::structure("t2x_tuple_key", {{"tuple", 4, 1}, {"pad", 4, 1}, {"word", 8, w}}),
         BtfType::structure("t2x_bucket", {{"record", 4, plan::kBucketCandidates}}),
         plan.table_buckets});
    maps.records = module.declare_data(
        kRecordMap, uint64_t{layout.record_size()} * std::max<uint32_t>(1, plan.table_records));
    maps.spares = &module.declare_map(
        {kSpareMap, MapKind::kArray, BtfType::u32(),
         BtfType::structure(
             "t2x_spare",
             {{"mask", 8, w}, {"tuple", 4, 1}, {"floor", 4, 1}, {"active", 4, 1}, {"pad", 4, 1}}),
         std::max<uint32_t>(1, plan.table_spares)});
  }
  if (plan.tree_nodes) {
    maps.tree = module.declare_data(kTreeMap, 4 * (uint64_t{plan.tree_nodes} + plan.tree_entries));
    maps.tree_key = &module.declare_map(
        {kTreeKeyMap, MapKind::kPercpuArray, BtfType::u32(),
         BtfType::structure("t2x_tree_key", {{"dim", 8, plan::kTreeKeyDims}}), 1});
  }

  if (plan.flow_cache.enabled())
    maps.flows = module.declare_data(kFlowCacheMap, plan.flow_cache.bytes());
  if (plan.police_slots) declare_police_maps(module, plan, maps);

  XdpFunction fn = module.create_xdp_function(kProgramName);
  fn.set_line(lines.parser);
  ParsedKey key = lower_parser(fn, plan.parse, needs_walk(plan));
  lower_rules(fn, rules, plan, key, maps, lines);
  if (plan.needs_tc_companion()) {
    std::vector<const MapRef*> copy_maps(plan.action_lists.size(), nullptr);
    for (size_t i = 0; i < plan.action_lists.size(); ++i) {
      const plan::ActionList& list = plan.action_lists[i];
      if (!list.copies_at_tc()) continue;
      copy_maps[i] =
          &module.declare_map({copies_map_name(i), MapKind::kArray, BtfType::u32(), BtfType::u64(),
                               static_cast<uint32_t>(list.sends.size())});
    }
    lower_tc_companion(module, plan, copy_maps);
  }
  return module.finish(options);
}

}  // namespace

Result<BpfProgram> compile(const ir::RuleSet& rules, const plan::Plan& plan,
                           const EmitOptions& options) {
  auto program = compile_once(rules, plan, options);
  if (program || !plan.flow_cache.enabled()) return program;
  // The cache's probe keeps a few values live around the walk; a program at the edge of the
  // 512-byte stack (or of what LLVM can fit in it) is built without it rather than not at all.
  // The runtime finds no cache map then, and has no answers to retire.
  plan::Plan uncached = plan;
  uncached.flow_cache = {};
  for (plan::Table& t : uncached.tables) t.flow_cached = false;
  auto fallback = compile_once(rules, uncached, options);
  if (!fallback) return program;
  fallback->warnings.push_back("flow cache left out: the program with it did not build (" +
                               program.error().operation + ")");
  return fallback;
}

}  // namespace tc2xdp::codegen
