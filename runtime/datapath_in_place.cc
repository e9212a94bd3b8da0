// Changes filed into the live tables in place: adds (one or a batch) and single deletes whose
// rules the compiled probe already reaches (plan/table_patch.h). No planning of the whole set, no
// copy of the rule set, no rewrite of the state files (a journal entry instead).
//
// The writes go out in the order of write_table_edits (table_fill.h), so no packet sees a change
// half done.

#include <algorithm>

#include "datapath_live.h"
#include "datapath_state.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/table_fill.h"

namespace tc2xdp::runtime {

namespace {

bool all_adds(const RuleDelta& delta) {
  return std::all_of(delta.begin(), delta.end(),
                     [](const ir::Command& c) { return c.op == ir::CommandOp::kAdd; });
}

// One filter, or one pref's filters (a delete without handle).
bool one_delete(const RuleDelta& delta) {
  return delta.size() == 1 && delta[0].op == ir::CommandOp::kDelete && delta[0].rule.pref != 0;
}

ir::Command delete_of(const ir::Rule& rule) {
  ir::Command del;
  del.op = ir::CommandOp::kDelete;
  del.rule.dev = rule.dev;
  del.rule.hook = rule.hook;
  del.rule.chain = rule.chain;
  del.rule.pref = rule.pref;
  del.rule.protocol = rule.protocol;
  del.rule.handle = rule.handle;
  return del;
}

// "filter del ..." naming the rule by chain, pref and handle.
std::string delete_text(const ir::Rule& rule) {
  std::string add = frontend::tc::print_rule(rule);
  const size_t flower = add.find(" flower");
  add = add.substr(0, flower == std::string::npos ? add.size() : flower + 7);
  return "filter del" + add.substr(add.find(" dev "));
}

}  // namespace

Result<std::optional<ApplyReport>> Datapath::apply_in_place(const RuleDelta& delta,
                                                            Diagnostics& diags,
                                                            const ApplyOptions& options,
                                                            std::string& why) {
  Live& live = *live_;
  const bool adds = !delta.empty() && all_adds(delta);
  if (!adds && !one_delete(delta))
    return why = "only adds and single deletes go in place", std::optional<ApplyReport>{};
  if (live.tuples.get() < 0 || live.records.get() < 0 || live.spares.get() < 0 ||
      live.redirects.get() < 0)
    return why = "the program has no tables", std::optional<ApplyReport>{};
  if (!live.patcher) {
    // A plan made from rules filed in place elsewhere is not what the maps hold.
    if (tables_edited_ || plan_stale_)
      return why = "the tables were edited in place by another process",
             std::optional<ApplyReport>{};
    live.patcher = std::make_unique<plan::TablePatcher>(plan_, live.plan_options);
  }
  if (!live.mapped) {
    auto mapped = MappedTables::map(live.stats.get(), live.records.get(), live.flows.get());
    if (!mapped)
      return why = "its maps cannot be mapped: " + mapped.error().to_string(),
             std::optional<ApplyReport>{};
    live.mapped = std::make_unique<MappedTables>(std::move(*mapped));
  }
  plan::TablePatcher& patcher = *live.patcher;

  std::vector<plan::TableWrite> writes;
  std::vector<JournalEntry> journal;
  Diagnostics warnings;
  if (adds) {
    std::vector<ir::Command> undo;
    const auto give_up = [&] {
      // Nothing is written yet: take the batch's first rules out of the set and the patcher.
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        Diagnostics ignored;
        (void)rules_.apply(*it, ignored);
        std::string unused;
        (void)patcher.remove({it->rule.chain, it->rule.pref, it->rule.handle}, unused);
      }
      return std::optional<ApplyReport>{};
    };
    for (const ir::Command& cmd : delta) {
      Diagnostics scratch;  // the whole-set path reports a rejected command
      if (!rules_.apply(cmd, scratch)) return why = "the command is rejected", give_up();
      const ir::Rule& rule = *rules_.last_inserted();
      auto w = patcher.add(rule, rules_.last_of_instance(rule.chain, rule.pref, rule.handle), why,
                           warnings);
      undo.push_back(delete_of(rule));
      if (!w) {
        Diagnostics ignored;
        (void)rules_.apply(undo.back(), ignored);
        undo.pop_back();
        return give_up();
      }
      journal.push_back({frontend::tc::print_rule(rule), w->rule, w->slot});
      writes.push_back(std::move(*w));
    }
  } else {
    const ir::Rule& cmd = delta[0].rule;
    const std::vector<uint32_t> handles =
        cmd.handle ? std::vector<uint32_t>{cmd.handle} : rules_.handles_of(cmd.chain, cmd.pref);
    for (uint32_t handle : handles) {
      const ir::Rule* rule = rules_.find(cmd.chain, cmd.pref, handle);
      if (!rule || !patcher.is_filed({cmd.chain, cmd.pref, handle}))
        return why = "the filter is not in a table", std::optional<ApplyReport>{};
      journal.push_back({delete_text(*rule), {cmd.chain, cmd.pref, handle}, std::nullopt});
    }
    if (handles.empty()) return why = "no such filter", std::optional<ApplyReport>{};
    Diagnostics scratch;
    if (!rules_.apply(delta[0], scratch))
      return why = "the command is rejected", std::optional<ApplyReport>{};
    for (uint32_t handle : handles)
      writes.push_back(*patcher.remove({cmd.chain, cmd.pref, handle}, why));
  }

  tables_edited_ = true;
  plan_stale_ = true;
  diags.append(warnings);
  ApplyReport report;
  report.data_only = true;
  report.mode = mode_;
  const TableMapFds maps{live.tuples.get(), live.spares.get(), live.redirects.get(), *live.mapped};
  if (auto s = write_table_edits(writes, maps, report.map_writes); !s) {
    // Part of the change may be in the maps: recompile the rules as they now are, from scratch.
    ApplyOptions swap = options;
    swap.paths = paths_;
    swap.mode = mode_;
    swap.recompile = true;
    auto swapped = Datapath::apply(ifname_, rules_, swap, diags);
    if (!swapped) return swapped.error();
    swapped->notes.push_back("in-place write failed (" + s.error().to_string() +
                             "); recompiled instead");
    auto reopened = Datapath::open(ifname_, paths_);
    if (!reopened) return reopened.error();
    *this = std::move(*reopened);
    return std::optional<ApplyReport>(std::move(*swapped));
  }
  if (auto s = append_journal(paths_, ifname_, journal); !s) return s.error();
  state_stamp_ = read_state_stamp(paths_, ifname_);
  return std::optional<ApplyReport>(std::move(report));
}

}  // namespace tc2xdp::runtime
