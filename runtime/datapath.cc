#include "tc2xdp/runtime/datapath.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "counter_carry.h"
#include "datapath_live.h"
#include "datapath_state.h"
#include "datapath_update.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/flow_cache.h"
#include "tc2xdp/runtime/host_devices.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/police_state.h"
#include "tc2xdp/runtime/rule_counters.h"
#include "tc2xdp/runtime/state_lock.h"
#include "tc2xdp/runtime/stats_map.h"
#include "tc2xdp/runtime/table_fill.h"

namespace tc2xdp::runtime {

namespace {

constexpr uint32_t kMinStatsCapacity = 64;

// Plan options resolving devices here, with the live program's stats slots and the interface's
// flow cache size.
plan::PlanOptions host_options(std::map<plan::RuleKey, uint32_t> slots, uint32_t min_stats_slots,
                               uint32_t flow_cache_entries) {
  plan::PlanOptions options = host_plan_options();
  options.previous_stats_slots = std::move(slots);
  options.min_stats_slots = min_stats_slots;
  options.flow_cache_entries = flow_cache_entries;
  return options;
}

// The flow cache size a change plans with: asked for, else the interface's, else the host's.
uint32_t flow_cache_entries_for(const ApplyOptions& options,
                                const std::optional<SavedState>& saved) {
  if (options.flow_cache_entries) return *options.flow_cache_entries;
  if (saved && saved->flow_cache_entries) return *saved->flow_cache_entries;
  return host_plan_options().flow_cache_entries;
}

// Room for the rule set to grow before the counters map must be replaced (and the records map,
// which has as many slots), rounded up to 64 slots: a sixteenth of the rules, but at least as many
// rules as there are, up to 512, so a small set can double in one batch of map writes. A growth
// recompiles and carries the counters, so past that the headroom only spaces recompiles out, and
// each slot costs a record and a CPU's counts per CPU (84 bytes on 2 CPUs): 9,774 rules take
// 10,432 slots (11,008 with an eighth, 19,584 with twice the rules).
uint32_t stats_capacity_for(size_t rules) {
  const uint32_t n = static_cast<uint32_t>(rules);
  const uint32_t slack = std::max(n / 16, std::min<uint32_t>(n, 512));
  return std::max<uint32_t>(kMinStatsCapacity, (n + slack + 63) / 64 * 64);
}

Result<uint32_t> map_max_entries(int fd) {
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return Error{"map info", errno, ""};
  return info.max_entries;
}

// The pinned counters of the live program, if they are laid out as this build's (a program
// attached by an older build is replaced with fresh counters).
struct LiveCounters {
  UniqueFd stats, last_hit;
  uint32_t slots = 0;  // the counters map's
};
LiveCounters open_live_counters(const std::string& pins) {
  UniqueFd stats(bpf_obj_get((pins + "/stats").c_str()));
  UniqueFd last_hit(bpf_obj_get((pins + "/last_hit").c_str()));
  if (stats.get() < 0 || last_hit.get() < 0) return {};
  auto shape = stats_shape(stats.get());
  if (!shape) return {};
  return {std::move(stats), std::move(last_hit), shape->slots};
}

// The tc ingress companion: attached (or swapped) while the plan makes copies of passed frames or
// passes marked ones, detached when it no longer does. Its link is pinned at `pin`.
Status place_tc_copies(const plan::Plan& plan, const BpfObject& object, uint32_t ifindex,
                       const std::string& pin) {
  auto live = XdpLink::open_pinned(pin);
  if (!plan.needs_tc_companion()) {
    if (live) (void)live->detach();
    unlink(pin.c_str());
    return Ok{};
  }
  auto prog = object.program_fd(codegen::kTcCompanionProgramName);
  if (!prog) return prog.error();
  if (live) return live->update(*prog);
  auto attached = XdpLink::attach_tc_ingress(ifindex, *prog);
  if (!attached) return attached.error();
  if (auto s = attached->pin(pin); !s) {
    (void)attached->detach();
    return s;
  }
  return Ok{};
}

// The mirred maps, with this namespace's devices; a device that is missing is an error.
Status fill_redirects(const plan::Plan& plan, const BpfObject& object) {
  const plan::PlanOptions host = host_plan_options();
  return write_device_maps(
      plan, object,
      [&](const plan::DeviceTarget& target, bool at_tc) -> Result<std::optional<uint32_t>> {
        // The companion clones into a receive path itself (BPF_F_INGRESS): the device, not a peer.
        auto ifindex = at_tc ? host_device(target.dev) : plan::transmit_ifindex(target, host);
        if (ifindex) return ifindex;
        const bool peer = target.ingress && !at_tc;
        return Error{"mirred " + plan::describe_target(target), ENODEV,
                     peer ? "no veth peer of '" + target.dev + "' in this namespace"
                          : "device '" + target.dev + "' does not exist in this network namespace"};
      });
}

// Zeroes the slots of rules that are new to this program, so they start from nothing.
Status reset_new_slots(int stats_fd, const plan::Plan& plan,
                       const std::map<plan::RuleKey, uint32_t>& previous) {
  std::vector<uint32_t> slots;
  for (const auto& r : plan.rules)
    if (!previous.contains({r.chain, r.pref, r.handle})) slots.push_back(r.stats_slot);
  return zero_stats_slots(stats_fd, slots);
}

// Splits an apply's wall time into named phases, for ApplyReport::phases_ms.
class PhaseClock {
 public:
  void mark(const char* phase) {
    const auto now = std::chrono::steady_clock::now();
    phases_.emplace_back(phase, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }
  std::vector<std::pair<std::string, double>> take() { return std::move(phases_); }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, double>> phases_;
};

// A plan of the new rules a caller already made (apply(delta)'s shape check), with the options
// and warnings it was made with: reused when the whole-set path would plan with the same ones.
struct PlannedAhead {
  plan::Plan plan;
  plan::PlanOptions options;
  Diagnostics diags;
  // The options' data (the device resolvers are the host's, the same for both).
  bool made_with(const plan::PlanOptions& o) const {
    return options.previous_stats_slots == o.previous_stats_slots &&
           options.min_stats_slots == o.min_stats_slots && options.lookup == o.lookup &&
           options.min_table_buckets == o.min_table_buckets;
  }
};

// The whole-set path of apply(), under the interface's lock, from its state as `saved` has it
// (read from disk, or known to a Datapath in memory). The plan made goes to `planned` if given.
Result<ApplyReport> apply_locked(const std::string& ifname, const ir::RuleSet& rules,
                                 const ApplyOptions& options, Diagnostics& diags,
                                 const std::optional<SavedState>& saved, PhaseClock& clock,
                                 plan::Plan* planned, PlannedAhead* ahead = nullptr) {
  const auto ifindex = host_device(ifname);
  if (!ifindex)
    return Error{"apply rules to " + ifname, ENODEV,
                 "no such device in this network namespace ('ip link' lists them)"};
  const std::string pins = pin_dir(options.paths, ifname);
  if (auto s = ensure_bpffs_dir(pins); !s) return s.error();
  std::optional<XdpLink> link;
  UniqueFd old_stats, old_last_hit;
  std::map<plan::RuleKey, uint32_t> previous_slots;
  uint32_t capacity = stats_capacity_for(rules.size());
  uint32_t old_capacity = 0;  // the live counters map's size
  if (saved) {
    if (saved->mode != options.mode &&
        !(options.allow_generic_fallback && options.mode == XdpMode::kNative))
      return Error{"apply rules to " + ifname, EBUSY,
                   std::string("it is attached in ") + xdp_mode_name(saved->mode) +
                       " mode; 'tc2xdp detach " + ifname + "' first to change mode"};
    auto opened = XdpLink::open_pinned(pins + "/link");
    if (!opened) return opened.error();
    link.emplace(std::move(*opened));
    LiveCounters live_counters = open_live_counters(pins);
    old_stats = std::move(live_counters.stats);
    old_last_hit = std::move(live_counters.last_hit);
    if (old_stats.get() >= 0) {
      old_capacity = live_counters.slots;
      // The live counters map is kept (and its counters) while the rules fit in it.
      if (old_capacity >= rules.size()) capacity = old_capacity;
      previous_slots = saved->slots;
    }
  }

  // The live table maps, if any: a change of data only is written into them.
  UniqueFd live_tuples, live_records, live_flows, live_police, live_police_stats;
  if (saved && old_stats.get() >= 0) {
    live_tuples = UniqueFd(bpf_obj_get((pins + "/tuples").c_str()));
    live_records = UniqueFd(bpf_obj_get((pins + "/records").c_str()));
    live_flows = UniqueFd(bpf_obj_get((pins + "/flows").c_str()));
    live_police = UniqueFd(bpf_obj_get((pins + "/police").c_str()));
    live_police_stats = UniqueFd(bpf_obj_get((pins + "/police_cnt").c_str()));
  }
  const PoliceMapFds live_policers{live_police.get(), live_police_stats.get()};
  const uint32_t cache_entries = flow_cache_entries_for(options, saved);
  plan::PlanOptions plan_options = host_options(previous_slots, capacity, cache_entries);
  if (live_tuples.get() >= 0)
    plan_options.min_table_buckets = map_max_entries(live_tuples.get()).value_or(0);
  Diagnostics plan_diags;
  plan::Plan plan;
  if (ahead && ahead->made_with(plan_options)) {
    plan = std::move(ahead->plan);
    plan_diags = std::move(ahead->diags);
  } else {
    plan = plan::make_plan(rules, plan_options, plan_diags);
  }
  if (old_capacity != 0 && capacity == old_capacity && plan.stats_slots > old_capacity) {
    // The slots outgrew the live map (freed slots are not reused in the same change): a new
    // one, with headroom; the counters are carried into it after the swap.
    plan_options.min_stats_slots = std::max(stats_capacity_for(rules.size()), plan.stats_slots);
    plan_diags = Diagnostics{};
    plan = plan::make_plan(rules, plan_options, plan_diags);
  }
  diags.append(plan_diags);
  if (diags.has_errors()) return Error{"plan", EINVAL, diags.to_string()};
  clock.mark("plan");

  // Data only if the live counters map (and the records map, as large) holds the plan's slots:
  // rules of the same shape can still outgrow it, since the buckets have more headroom.
  if (saved && link && old_stats.get() >= 0 && plan.stats_slots == old_capacity &&
      !options.compiler && !options.recompile && !saved->tables_edited) {
    // The live program's plan, rebuilt from the saved rules and slots with the same options.
    Diagnostics ignored;
    const plan::Plan live = plan::make_plan(saved->rules, plan_options, ignored);
    if (live.shape_fingerprint == plan.shape_fingerprint) {
      if (auto s = reset_new_slots(old_stats.get(), plan, previous_slots); !s) return s.error();
      ApplyReport report;
      // Buckets before the records that name them; an unchanged one keeps its tokens.
      uint32_t police_writes = 0;
      if (plan.police_slots) {
        if (auto s = write_policers(plan, live_policers, true, std::nullopt, &police_writes); !s)
          return s.error();
      }
      const LiveTables tables{live_tuples.get(), live_records.get(), plan_options.min_table_buckets,
                              live_flows.get()};
      auto written = write_table_changes(live, plan, tables, report.map_writes);
      if (!written) return written.error();
      if (*written) {
        report.map_writes += police_writes;
        report.data_only = true;
        report.mode = saved->mode;
        if (auto s = write_state(options.paths, ifname, rules, plan, report.mode, cache_entries);
            !s)
          return s.error();
        if (planned) *planned = std::move(plan);
        return report;
      }
    }
  }

  clock.mark("diff against live");
  auto program = options.compiler ? options.compiler(rules, plan) : codegen::compile(rules, plan);
  if (!program) return program.error();
  clock.mark("compile");

  ApplyReport report;
  report.notes = program->warnings;
  LoadOptions load_options;
  load_options.object_name = "t2x_" + ifname.substr(0, 10);
  // Only a map of the size the program declares can be reused; a grown one is new, and the
  // counters are carried into it (below).
  report.counters_kept = old_stats.get() >= 0 && plan.stats_slots == old_capacity;
  if (report.counters_kept)
    load_options.reuse_maps = {{codegen::kStatsMap, old_stats.get()},
                               {codegen::kLastHitMap, old_last_hit.get()}};
  // Police buckets (and their counters) live on while their maps keep their size.
  const bool police_kept = plan.police_slots && live_police.get() >= 0 &&
                           live_police_stats.get() >= 0 &&
                           map_max_entries(live_police.get()).value_or(0) == plan.police_slots;
  if (police_kept) {
    load_options.reuse_maps.emplace_back(codegen::kPoliceMap, live_police.get());
    load_options.reuse_maps.emplace_back(codegen::kPoliceStatsMap, live_police_stats.get());
  }
  auto object = BpfObject::load(program->object, load_options);
  if (!object) return object.error();
  clock.mark("load, verify");
  auto prog_fd = object->program_fd(codegen::kProgramName);
  if (!prog_fd) return prog_fd.error();
  auto stats_fd = object->map_fd(codegen::kStatsMap);
  if (!stats_fd) return stats_fd.error();
  auto last_hit_fd = object->map_fd(codegen::kLastHitMap);
  if (!last_hit_fd) return last_hit_fd.error();
  if (auto s = fill_redirects(plan, *object); !s) return s.error();
  if (auto s = write_tables(plan, *object); !s) return s.error();
  if (plan.police_slots) {
    auto buckets = object->map_fd(codegen::kPoliceMap);
    auto counters = object->map_fd(codegen::kPoliceStatsMap);
    if (!buckets) return buckets.error();
    if (!counters) return counters.error();
    if (auto s = write_policers(plan, {*buckets, *counters}, police_kept); !s) return s.error();
  }
  if (auto s = reset_new_slots(*stats_fd, plan,
                               report.counters_kept ? previous_slots : decltype(previous_slots){});
      !s)
    return s.error();
  // A grown counters map: the rules that stay take their counters along (counter_carry.h).
  std::optional<CounterCarry> carry;
  if (old_stats.get() >= 0 && !report.counters_kept) {
    std::vector<std::pair<uint32_t, uint32_t>> moved;
    for (const auto& r : plan.rules) {
      auto it = previous_slots.find({r.chain, r.pref, r.handle});
      if (it != previous_slots.end() && it->second < old_capacity)
        moved.emplace_back(it->second, r.stats_slot);
    }
    auto seeded = CounterCarry::seed({old_stats.get(), old_last_hit.get()},
                                     {*stats_fd, *last_hit_fd}, std::move(moved));
    if (!seeded) return seeded.error();
    carry.emplace(std::move(*seeded));
  }
  report.verified_instructions = verified_instructions(*prog_fd).value_or(0);
  clock.mark("fill maps");

  // Everything that can fail without touching the interface has run. Now attach or swap.
  report.mode = saved ? saved->mode : options.mode;
  if (link) {
    if (auto s = link->update(*prog_fd); !s) return s.error();
  } else {
    auto attached = XdpLink::attach(*ifindex, *prog_fd, options.mode);
    if (!attached && options.mode == XdpMode::kNative && options.allow_generic_fallback &&
        (attached.error().errno_value == EOPNOTSUPP || attached.error().errno_value == EINVAL)) {
      attached = XdpLink::attach(*ifindex, *prog_fd, XdpMode::kGeneric);
      if (attached) {
        report.mode = XdpMode::kGeneric;
        report.notes.push_back(ifname + " has no native XDP; attached in generic mode");
      }
    }
    if (!attached) return attached.error();
    unlink((pins + "/link").c_str());
    if (auto s = attached->pin(pins + "/link"); !s) {
      (void)attached->detach();
      return s.error();
    }
    report.attached_now = true;
  }
  if (auto s = place_tc_copies(plan, *object, *ifindex, pins + "/tc_link"); !s) return s.error();
  clock.mark("attach or swap");
  if (link && old_stats.get() < 0)
    report.notes.push_back(
        "the live counters could not be reused (not pinned, or laid out by another build); "
        "counters restart from zero");
  if (carry) {
    // The new program is live: a failure here loses counts, not the change.
    if (auto carried = carry->settle(); carried) {
      report.counters_carried = true;
    } else {
      report.notes.push_back("counters counted during the swap were lost: " +
                             carried.error().to_string());
    }
    clock.mark("carry counters");
  }
  // The table maps of the program now attached, for later changes of data only.
  for (const auto& [map, pin] :
       {std::pair{codegen::kTupleMap, "/tuples"}, std::pair{codegen::kRecordMap, "/records"},
        std::pair{codegen::kSpareMap, "/spares"}, std::pair{codegen::kRedirectMap, "/redirects"},
        std::pair{codegen::kFlowCacheMap, "/flows"}, std::pair{codegen::kPoliceMap, "/police"},
        std::pair{codegen::kPoliceStatsMap, "/police_cnt"}}) {
    unlink((pins + pin).c_str());
    auto fd = object->map_fd(map);
    if (fd && bpf_obj_pin(*fd, (pins + pin).c_str()) != 0)
      return Error{"pin lookup tables of " + ifname, errno, ""};
  }
  if (!report.counters_kept) {
    for (const auto& [fd, pin] : {std::pair{*stats_fd, "/stats"}, {*last_hit_fd, "/last_hit"}}) {
      unlink((pins + pin).c_str());
      if (bpf_obj_pin(fd, (pins + pin).c_str()) != 0)
        return Error{"pin counters of " + ifname, errno, ""};
    }
  }
  if (auto s = write_state(options.paths, ifname, rules, plan, report.mode, cache_entries); !s)
    return s.error();
  clock.mark("pin, write state");
  report.phases_ms = clock.take();
  if (planned) *planned = std::move(plan);
  return report;
}

}  // namespace

Result<ApplyReport> Datapath::apply(const std::string& ifname, const ir::RuleSet& rules,
                                    const ApplyOptions& options, Diagnostics& diags) {
  PhaseClock clock;
  auto lock = StateLock::acquire(ifname, options.paths);
  if (!lock) return lock.error();
  auto saved = read_state(options.paths, ifname);
  if (!saved) return saved.error();
  clock.mark("read state");
  return apply_locked(ifname, rules, options, diags, *saved, clock, nullptr);
}

Status Datapath::open_live() {
  if (live_) return Ok{};
  auto live = std::make_shared<Live>();
  const std::string pins = pin_dir(paths_, ifname_);
  live->stats = UniqueFd(bpf_obj_get((pins + "/stats").c_str()));
  if (live->stats.get() < 0) return Error{"open counters of " + ifname_, errno, ""};
  live->tuples = UniqueFd(bpf_obj_get((pins + "/tuples").c_str()));
  live->records = UniqueFd(bpf_obj_get((pins + "/records").c_str()));
  live->flows = UniqueFd(bpf_obj_get((pins + "/flows").c_str()));
  live->spares = UniqueFd(bpf_obj_get((pins + "/spares").c_str()));
  live->redirects = UniqueFd(bpf_obj_get((pins + "/redirects").c_str()));
  live->police = UniqueFd(bpf_obj_get((pins + "/police").c_str()));
  live->police_stats = UniqueFd(bpf_obj_get((pins + "/police_cnt").c_str()));
  auto shape = stats_shape(live->stats.get());
  live->stats_capacity = shape ? shape->slots : 0;
  if (live->tuples.get() >= 0)
    live->bucket_capacity = map_max_entries(live->tuples.get()).value_or(0);
  std::map<plan::RuleKey, uint32_t> slots;
  for (const auto& r : plan_.rules) slots[{r.chain, r.pref, r.handle}] = r.stats_slot;
  live->plan_options = host_options(std::move(slots), live->stats_capacity, flow_cache_entries_);
  live->plan_options.min_table_buckets = live->bucket_capacity;
  // The plan as the live program was built: with the live maps' sizes.
  Diagnostics ignored;
  plan_ = plan::make_plan(rules_, live->plan_options, ignored);
  live_ = std::move(live);
  return Ok{};
}

Result<ApplyReport> Datapath::apply(const RuleDelta& delta, Diagnostics& diags,
                                    const ApplyOptions& options) {
  PhaseClock clock;
  auto lock = StateLock::acquire(ifname_, paths_);
  if (!lock) return lock.error();
  // Another process may have changed the interface since this object read it.
  if (!held_ && !is_current()) {
    auto reopened = Datapath::open(ifname_, paths_);
    if (!reopened) return reopened.error();
    *this = std::move(*reopened);
  }
  if (auto s = open_live(); !s) return s.error();
  clock.mark("lock, check current");
  std::string not_in_place = "asked to recompile";
  if (held_) not_in_place = "earlier changes wait for a recompile";
  const bool resized =
      options.flow_cache_entries.value_or(flow_cache_entries_) != flow_cache_entries_;
  if (resized) not_in_place = "the flow cache is resized";
  if (!options.compiler && !options.recompile && !held_ && !resized) {
    not_in_place.clear();
    auto in_place = apply_in_place(delta, diags, options, not_in_place);
    if (!in_place) return in_place.error();
    if (*in_place) return std::move(**in_place);
  }
  clock.mark("try in place");
  // A copy takes the delta (apply_all would copy it again to stay all or nothing).
  ir::RuleSet next = rules_;
  for (const ir::Command& cmd : delta) {
    if (!next.apply(cmd, diags)) return Error{"apply to " + ifname_, EINVAL, diags.to_string()};
  }
  if (options.defer_recompile && !resized) {
    // Checked; compiled with whatever else arrives before flush().
    rules_ = std::move(next);
    held_ = plan_stale_ = true;
    ApplyReport report;
    report.deferred = true;
    report.mode = mode_;
    report.not_in_place = not_in_place;
    return report;
  }
  Live& live = *live_;
  bool new_shape = false;             // known to need a recompile
  std::optional<PlannedAhead> ahead;  // the shape check's plan, for the recompile
  if (!held_ && !tables_edited_ && !options.compiler && !options.recompile && !resized &&
      next.size() <= live.stats_capacity) {
    plan::PlanOptions plan_options = live.plan_options;
    // The plan's warnings are reported once: here if the change stays data-only, else by the
    // transactional path below, which plans again.
    Diagnostics plan_diags;
    plan::Plan plan = plan::make_plan(next, plan_options, plan_diags);
    if (plan_diags.has_errors()) {
      diags.append(plan_diags);
      return Error{"plan", EINVAL, plan_diags.to_string()};
    }
    new_shape = plan.shape_fingerprint != plan_.shape_fingerprint;
    if (new_shape) ahead = PlannedAhead{std::move(plan), plan_options, std::move(plan_diags)};
    if (!new_shape) {
      if (auto s = reset_new_slots(live.stats.get(), plan, live.plan_options.previous_stats_slots);
          !s)
        return s.error();
      ApplyReport report;
      uint32_t police_writes = 0;
      if (plan.police_slots) {
        const PoliceMapFds police{live.police.get(), live.police_stats.get()};
        if (auto s = write_policers(plan, police, true, std::nullopt, &police_writes); !s)
          return s.error();
      }
      const LiveTables tables{live.tuples.get(), live.records.get(), live.bucket_capacity,
                              live.flows.get()};
      auto written = write_table_changes(plan_, plan, tables, report.map_writes);
      if (!written) return written.error();
      if (*written) {
        diags.append(plan_diags);
        report.map_writes += police_writes;
        report.data_only = true;
        report.mode = mode_;
        report.not_in_place = not_in_place;
        if (auto s = write_state(paths_, ifname_, next, plan, mode_, flow_cache_entries_); !s)
          return s.error();
        state_stamp_ = read_state_stamp(paths_, ifname_);
        // The next change plans against this one's slots: a slot freed now (its bucket is gone)
        // may be reused then, never within the same change.
        live.plan_options.previous_stats_slots.clear();
        for (const auto& r : plan.rules)
          live.plan_options.previous_stats_slots[{r.chain, r.pref, r.handle}] = r.stats_slot;
        rules_ = std::move(next);
        plan_ = std::move(plan);
        live.patcher.reset();  // its copy of the tables is out of date
        return report;
      }
    }
  }
  // A new shape: compiled, loaded and swapped by the transactional path, from the state this
  // object holds (current: checked above), so nothing is read back from disk.
  ApplyOptions swap = options;
  swap.paths = paths_;
  swap.mode = mode_;
  swap.recompile = swap.recompile || new_shape;
  std::map<plan::RuleKey, uint32_t> slots;
  for (const auto& r : plan().rules) slots[{r.chain, r.pref, r.handle}] = r.stats_slot;
  // The live rules are lent to the state (not copied: 10k rules), and taken back on failure.
  std::optional<SavedState> known = SavedState{std::move(rules_),   std::move(slots), mode_,
                                               flow_cache_entries_, tables_edited_,   state_stamp_};
  clock.mark("shape check");
  plan::Plan planned;
  auto report =
      apply_locked(ifname_, next, swap, diags, known, clock, &planned, ahead ? &*ahead : nullptr);
  if (!report) {
    rules_ = std::move(known->rules);
    return report;
  }
  report->not_in_place = not_in_place;
  rules_ = std::move(next);
  plan_ = std::move(planned);
  flow_cache_entries_ = options.flow_cache_entries.value_or(flow_cache_entries_);
  plan_stale_ = tables_edited_ = held_ = false;
  live_.reset();  // the new program's maps, opened at the next change
  auto link = XdpLink::open_pinned(pin_dir(paths_, ifname_) + "/link");
  program_id_ = link ? link->program_id().value_or(0) : 0;
  state_stamp_ = read_state_stamp(paths_, ifname_);
  return report;
}

std::optional<uint32_t> Datapath::stats_slot(uint32_t chain, uint32_t pref, uint32_t handle) const {
  if (live_ && live_->patcher) {
    auto it = live_->patcher->slots().find({chain, pref, handle});
    if (it == live_->patcher->slots().end()) return std::nullopt;
    return it->second;
  }
  const plan::PlannedRule* r = plan().find(chain, pref, handle);
  return r ? std::optional<uint32_t>(r->stats_slot) : std::nullopt;
}

const plan::Plan& Datapath::plan() const {
  if (plan_stale_) {
    Diagnostics ignored;  // shown when the rules were applied
    // The live slots: as filed in place, else as the live program was planned.
    const std::map<plan::RuleKey, uint32_t> slots = !live_ ? std::map<plan::RuleKey, uint32_t>{}
                                                    : live_->patcher
                                                        ? live_->patcher->slots()
                                                        : live_->plan_options.previous_stats_slots;
    plan_ = plan::make_plan(rules_, host_options(slots, 0, flow_cache_entries_), ignored);
    plan_stale_ = false;
  }
  return plan_;
}

Result<ApplyReport> Datapath::flush(Diagnostics& diags, const ApplyOptions& options) {
  if (!held_) return ApplyReport{};
  auto lock = StateLock::acquire(ifname_, paths_);
  if (!lock) return lock.error();
  ApplyOptions swap = options;
  swap.paths = paths_;
  swap.mode = mode_;
  swap.defer_recompile = false;
  auto report = Datapath::apply(ifname_, rules_, swap, diags);
  // Either way the object follows what is live now: the held changes, or none of them.
  auto reopened = Datapath::open(ifname_, paths_);
  if (!reopened) return reopened.error();
  *this = std::move(*reopened);
  return report;
}

Result<Datapath> Datapath::open(const std::string& ifname, const DatapathPaths& paths) {
  auto saved = read_state(paths, ifname);
  if (!saved) return saved.error();
  if (!*saved)
    return Error{"open " + ifname, ENOENT,
                 ifname + " is not managed by tc2xdp ('tc2xdp status' lists those that are)"};
  Datapath dp;
  dp.ifname_ = ifname;
  dp.paths_ = paths;
  dp.mode_ = (*saved)->mode;
  dp.tables_edited_ = (*saved)->tables_edited;
  dp.flow_cache_entries_ = flow_cache_entries_for({}, *saved);
  dp.rules_ = std::move((*saved)->rules);
  dp.state_stamp_ = std::move((*saved)->stamp);
  Diagnostics ignored;  // the warnings were shown when the rules were applied
  dp.plan_ =
      plan::make_plan(dp.rules_, host_options((*saved)->slots, 0, dp.flow_cache_entries_), ignored);
  auto link = XdpLink::open_pinned(pin_dir(paths, ifname) + "/link");
  if (link) dp.program_id_ = link->program_id().value_or(0);
  return dp;
}

bool Datapath::is_current() const {
  if (state_stamp_.empty() || read_state_stamp(paths_, ifname_) != state_stamp_) return false;
  auto link = XdpLink::open_pinned(pin_dir(paths_, ifname_) + "/link");
  return link && link->program_id().value_or(0) == program_id_;
}

std::vector<std::string> Datapath::managed(const DatapathPaths& paths) {
  std::vector<std::string> names;
  if (DIR* dir = opendir(paths.state_root.c_str())) {
    while (const dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != ".." &&
          access((paths.state_root + "/" + name + "/mode").c_str(), F_OK) == 0)
        names.push_back(name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status Datapath::detach(const std::string& ifname, const DatapathPaths& paths) {
  auto lock = StateLock::acquire(ifname, paths);
  if (!lock) return lock.error();
  const std::string pins = pin_dir(paths, ifname);
  auto link = XdpLink::open_pinned(pins + "/link");
  auto saved = read_state(paths, ifname);
  if (!link && saved && !*saved)
    return Error{"detach " + ifname, ENOENT, ifname + " is not managed by tc2xdp"};
  if (link) {
    if (auto s = link->detach(); !s && s.error().errno_value != ENOLINK) return s;
  }
  unlink((pins + "/link").c_str());
  if (auto companion = XdpLink::open_pinned(pins + "/tc_link")) (void)companion->detach();
  unlink((pins + "/tc_link").c_str());
  unlink((pins + "/stats").c_str());
  unlink((pins + "/last_hit").c_str());
  unlink((pins + "/tuples").c_str());
  unlink((pins + "/records").c_str());
  unlink((pins + "/flows").c_str());
  unlink((pins + "/spares").c_str());
  unlink((pins + "/redirects").c_str());
  unlink((pins + "/police").c_str());
  unlink((pins + "/police_cnt").c_str());
  rmdir(pins.c_str());
  return remove_state(paths, ifname);
}

Result<std::vector<std::optional<plan::PoliceCounters>>> Datapath::police_counters() const {
  std::vector<std::optional<plan::PoliceCounters>> out(plan().rules.size());
  if (plan().policers.empty()) return out;
  const std::string pins = pin_dir(paths_, ifname_);
  UniqueFd buckets(bpf_obj_get((pins + "/police").c_str()));
  UniqueFd counters(bpf_obj_get((pins + "/police_cnt").c_str()));
  if (buckets.get() < 0 || counters.get() < 0)
    return Error{"open police maps of " + ifname_, errno, ""};
  for (const plan::Policer& p : plan().policers) {
    auto read = read_policer({buckets.get(), counters.get()}, p.id);
    if (!read) return read.error();
    for (size_t rule : p.rules) out[rule] = read->counters;
  }
  return out;
}

Result<std::optional<plan::FlowCacheCounts>> Datapath::flow_cache_counts() const {
  UniqueFd flows(bpf_obj_get((pin_dir(paths_, ifname_) + "/flows").c_str()));
  if (flows.get() < 0) {
    if (errno == ENOENT) return std::optional<plan::FlowCacheCounts>{};
    return Error{"open the flow cache of " + ifname_, errno, ""};
  }
  auto counts = read_flow_cache_counts(flows.get());
  if (!counts) return counts.error();
  return std::optional<plan::FlowCacheCounts>(*counts);
}

Result<std::vector<plan::RuleCounters>> Datapath::counters() const {
  const std::string pins = pin_dir(paths_, ifname_);
  UniqueFd stats(bpf_obj_get((pins + "/stats").c_str()));
  if (stats.get() < 0) return Error{"open counters of " + ifname_, errno, ""};
  UniqueFd last_hit(bpf_obj_get((pins + "/last_hit").c_str()));
  if (last_hit.get() < 0) return Error{"open last hits of " + ifname_, errno, ""};
  auto mapped = StatsMap::open(stats.get());
  if (!mapped) return mapped.error();
  std::vector<plan::RuleCounters> out;
  for (const auto& r : plan().rules) {
    auto counters = read_rule_counters(*mapped, last_hit.get(), r.stats_slot);
    if (!counters) return counters.error();
    out.push_back(*counters);
  }
  return out;
}

}  // namespace tc2xdp::runtime
