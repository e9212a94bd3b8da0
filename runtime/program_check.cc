#include "tc2xdp/runtime/program_check.h"

#include <cstring>

#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/runtime/map_io.h"
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
  for (const auto& target : plan.redirects) {
    auto ifindex = resolve ? resolve(target.dev) : std::nullopt;
    loaded.redirect_ifindex_.push_back(ifindex);
    if (!ifindex) continue;  // an empty slot: the program drops, as mirred to a missing device
    auto map = loaded.object_.map_fd(codegen::kRedirectMap);
    if (!map) return map.error();
    if (auto s = update_elem(*map, bytes_of(target.slot), bytes_of(*ifindex)); !s) return s.error();
  }
  return loaded;
}

Status LoadedProgram::restart_policers(int64_t created_ns) {
  if (police_.buckets < 0) return Ok{};
  return write_policers(*plan_, police_, false, created_ns);
}

void LoadedProgram::follow(const plan::Plan& plan) {
  plan_ = &plan;
  redirect_ifindex_.clear();
  for (const auto& target : plan.redirects)
    redirect_ifindex_.push_back(resolve_ ? resolve_(target.dev) : std::nullopt);
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
  if (run->meta_out.size() >= 4) {  // layout: the u32 mark just before the frame (host order)
    uint32_t mark;
    std::memcpy(&mark, run->meta_out.data() + run->meta_out.size() - 4, 4);
    out.mark = mark;
  }
  if (out.verdict == reference::Verdict::kRedirect && out.rule_index &&
      *out.rule_index < plan_->rules.size()) {
    const auto& terminal = plan_->rules[*out.rule_index].terminal;
    if (terminal.kind == plan::Terminal::Kind::kRedirect &&
        terminal.redirect_slot < redirect_ifindex_.size())
      out.redirect_ifindex = redirect_ifindex_[terminal.redirect_slot];
  }
  return out;
}

Result<std::vector<plan::RuleCounters>> LoadedProgram::counters() const {
  std::vector<plan::RuleCounters> out;
  for (const auto& r : plan_->rules) {
    auto words = read_percpu_u64(stats_fd_, r.stats_slot, 3);
    if (!words) return words.error();
    out.push_back({(*words)[0], (*words)[1], 0});  // last-hit is not a sum; not compared here
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
  if (program.verdict != expected.verdict)
    diff += std::string("verdict: program ") + reference::verdict_name(program.verdict) +
            ", reference " + reference::verdict_name(expected.verdict) + "; ";
  const std::optional<size_t> want =
      expected.matched ? std::optional<size_t>(expected.matched->index) : std::nullopt;
  if (program.rule_index != want)
    diff += "rule: program " + rule_name(rules, program.rule_index) + ", reference " +
            rule_name(rules, want) + "; ";
  if (expected.verdict == reference::Verdict::kRedirect &&
      program.redirect_ifindex != expected.redirect_ifindex)
    diff += "redirect target differs; ";
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
