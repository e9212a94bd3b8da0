// A compiled rule set loaded for BPF_PROG_TEST_RUN, and the comparison of what it did to a frame
// with what the reference interpreter says: the core of `tc2xdp trace` and the differential tests.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tc2xdp/codegen/bpf_program.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/reference/interpreter.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/police_state.h"

namespace tc2xdp::runtime {

// A device an XDP_REDIRECT sends the frame to: out of it, or into its receive path (ingress).
struct Send {
  uint32_t ifindex = 0;
  bool ingress = false;
  bool operator==(const Send&) const = default;
};

struct ProgramOutcome {
  reference::Verdict verdict = reference::Verdict::kPass;
  std::optional<size_t> rule_index;  // the rule whose action ended classification
  // For XDP_REDIRECT: where the frame went, by the deciding rule's devmap slot or fan-out list
  // (devices the resolver does not know are left out, as their empty slots send nothing).
  std::vector<Send> sends;
  std::vector<uint8_t> output;
  std::optional<uint32_t> mark;  // the metadata area's mark, when the program left one
};

class LoadedProgram {
 public:
  // Loads the object and fills its redirect map with the devices `resolve` knows.
  static Result<LoadedProgram> load(const plan::Plan& plan, const codegen::BpfProgram& program,
                                    const reference::DeviceResolver& resolve);

  // Runs one frame (ingress_ifindex must name a device of this namespace; 1 is lo).
  Result<ProgramOutcome> run(std::span<const uint8_t> frame, uint32_t ingress_ifindex = 1);
  // Per-rule counters summed over CPUs, parallel to the plan's rules.
  Result<std::vector<plan::RuleCounters>> counters() const;
  // The police maps (both -1 without police). load() writes every police instance fresh, created
  // at load time; restart_policers makes them fresh again as if created at `created_ns`.
  const PoliceMapFds& police_maps() const { return police_; }
  Status restart_policers(int64_t created_ns);
  int program_fd() const { return prog_fd_; }
  Result<int> map_fd(const char* name) const { return object_.map_fd(name); }
  // Rules moved (the maps were edited in place): name them, and their redirect targets, through
  // `plan`, which must keep the loaded plan's stats slots.
  void follow(const plan::Plan& plan);

 private:
  LoadedProgram(BpfObject object, const plan::Plan& plan)
      : object_(std::move(object)),
        plan_(&plan),
        lists_(plan.action_lists),
        generation_(codegen::copy_generation(plan)) {}
  BpfObject object_;
  const plan::Plan* plan_;
  // The loaded program's action lists: a copy tag names one of these, whatever plan is followed.
  std::vector<plan::ActionList> lists_;
  uint8_t generation_ = 0;
  int prog_fd_ = -1, last_fd_ = -1, stats_fd_ = -1;
  PoliceMapFds police_;
  std::optional<Send> resolved(const plan::DeviceTarget& target) const;
  reference::DeviceResolver resolve_;
};

// The reference's options for a plan: its punt decisions and the matches the program evaluates.
reference::Options reference_options(const plan::Plan& plan, const ir::RuleSet& rules,
                                     reference::DeviceResolver resolve);

// Empty if the program and the reference agree on verdict, rule, where the frame was sent (mirred
// copies and redirect, which XDP sends as one broadcast) and bytes; otherwise what differs, in
// words.
std::string compare_outcomes(const ProgramOutcome& program, const reference::Outcome& expected,
                             const ir::RuleSet& rules);

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace tc2xdp::runtime
