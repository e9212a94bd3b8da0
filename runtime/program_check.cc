#include "tc2xdp/runtime/program_check.h"

#include <algorithm>
#include <cstring>
#include <variant>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/stats_map.h"
#include "tc2xdp/runtime/table_fill.h"
#include "tc2xdp/runtime/test_run.h"

namespace tc2xdp::runtime {

namespace {

std::string rule_name(const ir::RuleSet& rules, std::optional<size_t> index) {
  if (!index) return "no rule";
  if (*index >= rules.size()) return "rule #" + std::to_string(*index) + " (out of range)";
  const auto& r = rules.rules()[*index];
  char handle[16];
  snprintf(handle, sizeof handle, "0x%x", r.handle);
  return "chain " + std::to_string(r.chain) + " pref " + std::to_string(r.pref) + " handle " +
         handle;
}

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

Result<LoadedProgram> LoadedProgram::load(const plan::Plan& plan,
                                          const codegen::BpfProgram& program,
                                          const reference::DeviceResolver& resolve) {
  auto object = BpfObject::load(program.object);
  if (!object) return object.error();
  LoadedProgram loaded(std::move(*object), plan);
  auto prog = loaded.object_.program_fd(codegen::kProgramName);
  auto last = loaded.object_.map_fd(codegen::kLastMatchMap);
  auto stats = loaded.object_.map_fd(codegen::kStatsMap);
  if (!prog) return prog.error();
  if (!last) return last.error();
  if (!stats) return stats.error();
  loaded.prog_fd_ = *prog;
  loaded.last_fd_ = *last;
  loaded.stats_fd_ = *stats;
  if (auto s = write_tables(plan, loaded.object_); !s) return s.error();
  if (plan.police_slots) {
    auto buckets = loaded.object_.map_fd(codegen::kPoliceMap);
    auto counters = loaded.object_.map_fd(codegen::kPoliceStatsMap);
    if (!buckets) return buckets.error();
    if (!counters) return counters.error();
    loaded.police_ = {*buckets, *counters};
    if (auto s = write_policers(plan, loaded.police_, false); !s) return s.error();
  }
  loaded.resolve_ = resolve;
  // The devices themselves stand in for ingress targets' veth peers: BPF_PROG_TEST_RUN sends
  // nothing, and these devices need not have peers. Missing devices leave empty slots, as mirred
  // to a device that is gone.
  const auto by_name = [&](const plan::DeviceTarget& target, bool) {
    return Result<std::optional<uint32_t>>(resolve ? resolve(target.dev) : std::nullopt);
  };
  if (auto s = write_device_maps(plan, loaded.object_, by_name); !s) return s.error();
  return loaded;
}

Status LoadedProgram::restart_policers(int64_t created_ns) {
  if (police_.buckets < 0) return Ok{};
  return write_policers(*plan_, police_, false, created_ns);
}

std::optional<Send> LoadedProgram::resolved(const plan::DeviceTarget& target) const {
  auto ifindex = resolve_ ? resolve_(target.dev) : std::nullopt;
  if (!ifindex) return std::nullopt;
  return Send{*ifindex, target.ingress};
}

void LoadedProgram::follow(const plan::Plan& plan) {
  plan_ = &plan;
}

Result<ProgramOutcome> LoadedProgram::run(std::span<const uint8_t> frame,
                                          uint32_t ingress_ifindex) {
  auto cpus = possible_cpus();
  if (!cpus) return cpus.error();
  const uint32_t key = 0;
  const std::vector<uint8_t> zeros(8 * static_cast<size_t>(*cpus), 0);
  if (auto s = update_elem(last_fd_, bytes_of(key), zeros); !s) return s.error();
  auto run = test_run(prog_fd_, frame, {.ingress_ifindex = ingress_ifindex});
  if (!run) return run.error();
  auto last = read_percpu_counter(last_fd_, 0);
  if (!last) return last.error();
  ProgramOutcome out;
  out.verdict = static_cast<reference::Verdict>(run->retval);
  if (*last) {
    // The program names the deciding rule by its stats slot.
    for (size_t i = 0; i < plan_->rules.size(); ++i)
      if (plan_->rules[i].stats_slot + 1 == *last) out.rule_index = i;
  }
  out.output = std::move(run->data_out);
  const auto& meta = run->meta_out;
  if (meta.size() >= 4) {  // layout: the u32 mark just before the frame (host order)
    uint32_t mark;
    std::memcpy(&mark, meta.data() + meta.size() - 4, 4);
    out.mark = mark;
  }
  if (meta.size() >= 8 && out.verdict == reference::Verdict::kPass) {
    // A copy tag before the mark: the tc companion clones the passed frame to the list's devices.
    uint32_t tag;
    std::memcpy(&tag, meta.data() + meta.size() - 8, 4);
    for (size_t i = 0; i < lists_.size(); ++i) {
      const plan::ActionList& list = lists_[i];
      if (!list.copies_at_tc() || tag != codegen::copy_tag(i, generation_)) continue;
      // The companion drops the frame after its copies: a redirect or a broadcast done at tc.
      if (list.consumed_at_tc) out.verdict = reference::Verdict::kDrop;
      for (const auto& target : list.sends)
        if (auto send = resolved(target)) out.sends.push_back(*send);
      // Without an skbedit mark the mark word is only the tag's companion (0): no mark was set.
      if (!list.marks()) out.mark.reset();
    }
  }
  if (out.verdict == reference::Verdict::kRedirect && out.rule_index &&
      *out.rule_index < plan_->rules.size()) {
    const auto& terminal = plan_->rules[*out.rule_index].terminal;
    std::vector<plan::DeviceTarget> targets;
    if (terminal.kind == plan::Terminal::Kind::kRedirect) {
      for (const auto& r : plan_->redirects)
        if (r.slot == terminal.redirect_slot) targets.push_back(r.target);
    } else if (terminal.kind == plan::Terminal::Kind::kFanout && terminal.actions) {
      targets = plan_->action_lists[*terminal.actions].sends;
    }
    for (const auto& target : targets)
      if (auto send = resolved(target)) out.sends.push_back(*send);
  }
  return out;
}

Result<std::vector<plan::RuleCounters>> LoadedProgram::counters() const {
  auto stats = StatsMap::open(stats_fd_);
  if (!stats) return stats.error();
  std::vector<plan::RuleCounters> out;
  for (const auto& r : plan_->rules) {
    const plan::SlotCounts counts = stats->total(r.stats_slot);
    out.push_back({counts.packets, counts.bytes, 0});  // last-hit is not a sum; not compared here
  }
  return out;
}

reference::Options reference_options(const plan::Plan& plan, const ir::RuleSet& rules,
                                     reference::DeviceResolver resolve) {
  reference::Options options;
  options.resolve_device = std::move(resolve);
  options.max_chain_hops = static_cast<int>(plan.max_chain_hops);
  // Rules are identified by address: the reference walks rules.rules() itself.
  const ir::Rule* first = rules.empty() ? nullptr : &rules.rules()[0];
  const plan::Plan* p = &plan;
  options.is_punted = [first, p](const ir::Rule& rule) {
    const size_t index = static_cast<size_t>(&rule - first);
    return index < p->rules.size() && !p->rules[index].offloaded;
  };
  options.evaluated_match = [first, p](const ir::Rule& rule) {
    const size_t index = static_cast<size_t>(&rule - first);
    return plan::evaluated_match(rule, p->rules[index]);
  };
  return options;
}

std::string compare_outcomes(const ProgramOutcome& program, const reference::Outcome& expected,
                             const ir::RuleSet& rules) {
  std::string diff;
  // XDP sends mirred's copies and the frame itself in one broadcast: copies with a drop are an
  // XDP_REDIRECT. A redirect that reaches no device is a drop either way.
  std::vector<Send> want_sends;
  for (const auto& copy : expected.copies) want_sends.push_back({copy.ifindex, copy.ingress});
  if (expected.verdict == reference::Verdict::kRedirect && expected.redirect_ifindex)
    want_sends.push_back({*expected.redirect_ifindex, expected.redirect_ingress});
  const auto sends_or_drop = [](reference::Verdict v, const std::vector<Send>& sends) {
    if (v == reference::Verdict::kDrop && !sends.empty()) return reference::Verdict::kRedirect;
    if (v == reference::Verdict::kRedirect && sends.empty()) return reference::Verdict::kDrop;
    return v;
  };
  const auto want_verdict = sends_or_drop(expected.verdict, want_sends);
  const auto got_verdict = sends_or_drop(program.verdict, program.sends);
  if (got_verdict != want_verdict)
    diff += std::string("verdict: program ") + reference::verdict_name(got_verdict) +
            ", reference " + reference::verdict_name(want_verdict) + "; ";
  const std::optional<size_t> want =
      expected.matched ? std::optional<size_t>(expected.matched->index) : std::nullopt;
  if (program.rule_index != want)
    diff += "rule: program " + rule_name(rules, program.rule_index) + ", reference " +
            rule_name(rules, want) + "; ";
  if (program.sends != want_sends)
    diff += "devices sent to differ (program " + std::to_string(program.sends.size()) +
            ", reference " + std::to_string(want_sends.size()) + "); ";
  for (const auto& copy : expected.copies)
    if (copy.bytes != program.output)
      diff += "a mirred copy's bytes: program " + to_hex(program.output) + ", reference " +
              to_hex(copy.bytes) + "; ";
  // Bytes matter only for frames the program hands on.
  if (expected.verdict != reference::Verdict::kDrop &&
      expected.verdict != reference::Verdict::kAborted && program.output != expected.output)
    diff += "output bytes: program " + to_hex(program.output) + ", reference " +
            to_hex(expected.output) + "; ";
  // The mark travels with frames the program hands on (pass, redirect).
  if ((expected.verdict == reference::Verdict::kPass ||
       expected.verdict == reference::Verdict::kRedirect) &&
      !expected.punted && program.mark != expected.mark)
    diff += "mark: program " + (program.mark ? std::to_string(*program.mark) : "none") +
            ", reference " + (expected.mark ? std::to_string(*expected.mark) : "none") + "; ";
  return diff;
}

}  // namespace tc2xdp::runtime
