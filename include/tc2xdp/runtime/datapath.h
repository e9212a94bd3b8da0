// One interface under tc2xdp's management: its rules, the compiled program attached through a
// pinned bpf_link, and per-rule counters that survive recompiles and the CLI's exit.
//
// State lives in two places: pins under /sys/fs/bpf/tc2xdp/<ifname>/ (the link and the counters
// map) and the rules in canonical tc syntax under /run/tc2xdp/<ifname>/. A later process finds
// both again by the interface's name.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/codegen/bpf_program.h"
#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/xdp_link.h"

namespace tc2xdp::runtime {

struct DatapathPaths {
  std::string pin_root = "/sys/fs/bpf/tc2xdp";
  std::string state_root = "/run/tc2xdp";
};

// Turns a planned rule set into a BPF object; codegen::compile unless a caller says otherwise.
using Compiler = std::function<Result<codegen::BpfProgram>(const ir::RuleSet&, const plan::Plan&)>;

// Filter changes applied as one transaction (tc's add/replace/change/del, in order).
using RuleDelta = std::vector<ir::Command>;

struct ApplyOptions {
  XdpMode mode = XdpMode::kNative;
  // Native was not asked for explicitly: fall back to generic when the driver lacks native XDP.
  bool allow_generic_fallback = true;
  DatapathPaths paths;
  Compiler compiler;  // empty: codegen::compile
  // Compile and swap even when only table data changed (the live maps are not to be trusted).
  bool recompile = false;
  // apply(RuleDelta): a change that cannot go in place is checked and held, not compiled; flush()
  // compiles everything held in one swap (a burst of changes, one recompile).
  bool defer_recompile = false;
  // Flow cache entries per CPU (plan/flow_cache.h; 0: none). Unset: the size the interface was
  // given before (its saved state), else the host's default (runtime::host_plan_options). Kept
  // with the interface, so every later change, by any process, plans the same cache.
  std::optional<uint32_t> flow_cache_entries;
};

struct ApplyReport {
  bool attached_now = false;  // first attachment (vs. an atomic swap)
  bool counters_kept = true;  // the counters map was reused
  // It grew instead, and the rules that stayed took their counts into the new one, each packet
  // counted once (a swap under traffic included).
  bool counters_carried = false;
  XdpMode mode = XdpMode::kNative;
  uint32_t verified_instructions = 0;
  // The change kept the program's shape and went in as map writes (no compile, no swap).
  bool data_only = false;
  uint32_t map_writes = 0;
  std::vector<std::string> notes;  // e.g. the fall back to generic mode
  // Why apply(delta) could not file the change into the live tables in place (empty if it did).
  std::string not_in_place;
  // Checked and held for flush() (ApplyOptions::defer_recompile); nothing is live yet.
  bool deferred = false;
  // Where a recompile's time went, in order: {"plan", ms}, {"compile", ms}, ... (empty when
  // the change went in as data).
  std::vector<std::pair<std::string, double>> phases_ms;
};

class Datapath {
 public:
  // Makes `ifname`'s rules exactly `rules`, transactionally: compile and load first, then attach
  // or swap the live link atomically. On any failure the interface keeps its old program and
  // state. Punt warnings go to `diags`.
  static Result<ApplyReport> apply(const std::string& ifname, const ir::RuleSet& rules,
                                   const ApplyOptions& options, Diagnostics& diags);

  // Applies `delta` to this interface's rules, all or nothing, keeping the state in memory so a
  // long-running process (the daemon) pays neither re-reading nor re-planning the live set. A
  // change of data only (same shape fingerprint) is written into the live maps; anything else
  // is recompiled and swapped as by the static apply. On error nothing changes.
  Result<ApplyReport> apply(const RuleDelta& delta, Diagnostics& diags,
                            const ApplyOptions& options = {});

  // Compiles and swaps in the changes apply(delta) held (defer_recompile): all of them, or on an
  // error none (the object rereads the live state). Nothing held: an empty report.
  Result<ApplyReport> flush(Diagnostics& diags, const ApplyOptions& options = {});
  bool has_held_changes() const { return held_; }

  // The managed state of `ifname`; an Error if tc2xdp does not manage it.
  static Result<Datapath> open(const std::string& ifname, const DatapathPaths& paths = {});

  // Interfaces with state under the paths.
  static std::vector<std::string> managed(const DatapathPaths& paths = {});

  // Detaches the program and removes the pins and state.
  static Status detach(const std::string& ifname, const DatapathPaths& paths = {});

  const std::string& ifname() const { return ifname_; }
  const ir::RuleSet& rules() const { return rules_; }
  // The plan of the rules as they are now (planned again, lazily, after changes made in place).
  const plan::Plan& plan() const;
  XdpMode mode() const { return mode_; }
  uint32_t program_id() const { return program_id_; }
  // Whether the interface is still as this object knows it: the same state on disk (generation
  // token, journal) and the same program attached. False once another process changed it.
  bool is_current() const;

  // The counters map slot of a rule, without planning again after changes made in place.
  std::optional<uint32_t> stats_slot(uint32_t chain, uint32_t pref, uint32_t handle) const;

  // Counters per rule, parallel to rules(): packets and bytes summed over CPUs, last hit the
  // latest of them.
  Result<std::vector<plan::RuleCounters>> counters() const;
  // The counters of the police action each rule runs (rules sharing an index show the same),
  // parallel to rules(); nullopt for rules without an offloaded police action.
  Result<std::vector<std::optional<plan::PoliceCounters>>> police_counters() const;
  // The flow cache's walks (misses) over CPUs; nullopt if the live program has no cache.
  Result<std::optional<plan::FlowCacheCounts>> flow_cache_counts() const;

 private:
  std::string ifname_;
  DatapathPaths paths_;
  ir::RuleSet rules_;
  mutable plan::Plan plan_;
  mutable bool plan_stale_ = false;  // rules filed in place since plan_ was made
  XdpMode mode_ = XdpMode::kNative;
  uint32_t flow_cache_entries_ = 0;  // as saved with the interface
  uint32_t program_id_ = 0;
  // The live tables hold rules filed in place (by this or another process): only a recompile
  // brings them back to what make_plan files.
  bool tables_edited_ = false;
  // rules_ holds changes not yet compiled (defer_recompile); they go live at flush().
  bool held_ = false;
  // The on-disk state as this object last read or wrote it (generation token and journal), for
  // is_current().
  std::string state_stamp_;
  // The live program's maps and the plan as it was built (with the maps' sizes), for data-only
  // changes; opened on first use.
  struct Live;
  std::shared_ptr<Live> live_;
  Status open_live();
  // The delta filed into the live tables in place (datapath_in_place.cc); nullopt, with nothing
  // changed, when it needs the whole-set path.
  Result<std::optional<ApplyReport>> apply_in_place(const RuleDelta& delta, Diagnostics& diags,
                                                    const ApplyOptions& options, std::string& why);
};

}  // namespace tc2xdp::runtime
