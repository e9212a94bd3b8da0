// Compile time and per-packet cost of compiled ClassBench rule sets, next to an empty XDP program
// measured in the same run with BPF_PROG_TEST_RUN. Every packet's matched rule is checked against
// the reference interpreter.
//
//   build/bench/classify_bench [--rules FILE] [--sizes 10,100,942] [--packets N] [--repeat R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/classbench_trace.h"
#include "common/figures.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/reference/interpreter.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/table_fill.h"
#include "tc2xdp/runtime/test_run.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Options {
  std::string rules_path = std::string(TC2XDP_SOURCE_DIR) + "/../shared/data/classbench/acl1_1k";
  std::vector<size_t> sizes = {10, 100, 942};
  size_t packets = 1000;
  uint32_t repeat = 200;
  bool optimize = true;  // --no-opt: skip the LLVM pipeline (faster compiles, slower code)
  // --inline: no hash tables, every rule compared in line (the planner's v1 shape)
  tc2xdp::plan::LookupPolicy lookup = tc2xdp::plan::LookupPolicy::kCostModel;
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-opt") {
      o.optimize = false;
      continue;
    }
    if (a == "--inline") {
      o.lookup = tc2xdp::plan::LookupPolicy::kInlineOnly;
      continue;
    }
    if (a == "--tree") {  // a cut tree in every table
      o.lookup = tc2xdp::plan::LookupPolicy::kAlwaysTree;
      continue;
    }
    if (a == "--tuples") {  // hash tables only, no cut trees (the previous planner)
      o.lookup = tc2xdp::plan::LookupPolicy::kNoTree;
      continue;
    }
    if (i + 1 >= argc) return false;
    if (a == "--rules") {
      o.rules_path = argv[++i];
    } else if (a == "--sizes") {
      o.sizes = bench::parse_sizes(argv[++i]);
    } else if (a == "--packets") {
      o.packets = std::stoul(argv[++i]);
    } else if (a == "--repeat") {
      o.repeat = std::stoul(argv[++i]);
    } else {
      return false;
    }
  }
  return true;
}

struct Row {
  size_t rules = 0;
  double parse_ms = 0, plan_ms = 0, codegen_ms = 0, load_ms = 0;
  uint32_t verified_insns = 0;
  size_t object_bytes = 0;
  double empty_ns = 0, compiled_ns = 0;
  size_t packets = 0, hits = 0, disagreements = 0;
};

// One rule-set size: compile (timed per phase, median of 3), then run the trace.
bool measure(const std::vector<classbench::Filter>& all, size_t n, const Options& o, int empty_fd,
             Row& row) {
  std::vector<classbench::Filter> filters(all.begin(), all.begin() + std::min(n, all.size()));
  std::string text;
  for (size_t i = 0; i < filters.size(); ++i)
    text +=
        classbench::to_tc(filters[i], i + 1, "eth0", classbench::ActionPolicy::kAlternate) + "\n";
  row.rules = filters.size();

  std::vector<double> parse, planning, codegen_t, load;
  std::optional<tc2xdp::runtime::BpfObject> object;
  tc2xdp::ir::RuleSet rules;
  tc2xdp::plan::Plan plan;
  for (int round = 0; round < 3; ++round) {
    tc2xdp::Diagnostics diags;
    auto t = Clock::now();
    rules = {};
    if (!tc2xdp::frontend::tc::load_rules(text, "classbench", rules, diags)) {
      std::cerr << diags.to_string();
      return false;
    }
    parse.push_back(ms_since(t));
    t = Clock::now();
    tc2xdp::plan::PlanOptions plan_options;
    plan_options.lookup = o.lookup;
    plan = tc2xdp::plan::make_plan(rules, plan_options, diags);
    planning.push_back(ms_since(t));
    t = Clock::now();
    auto program = tc2xdp::codegen::compile(rules, plan, {.optimize = o.optimize});
    if (!program) {
      std::cerr << program.error().to_string() << "\n";
      return false;
    }
    codegen_t.push_back(ms_since(t));
    row.object_bytes = program->object.size();
    t = Clock::now();
    auto loaded = tc2xdp::runtime::BpfObject::load(program->object);
    if (!loaded) {
      std::cerr << loaded.error().to_string() << "\n";
      return false;
    }
    if (auto s = tc2xdp::runtime::write_tables(plan, *loaded); !s) {
      std::cerr << s.error().to_string() << "\n";
      return false;
    }
    load.push_back(ms_since(t));
    object.emplace(std::move(*loaded));
  }
  row.parse_ms = median(parse);
  row.plan_ms = median(planning);
  row.codegen_ms = median(codegen_t);
  row.load_ms = median(load);
  const int prog_fd = *object->program_fd();
  row.verified_insns = tc2xdp::runtime::verified_instructions(prog_fd).value();
  const int last_fd = *object->map_fd(tc2xdp::codegen::kLastMatchMap);

  tc2xdp::reference::Options ref_options;
  ref_options.is_punted = [](const tc2xdp::ir::Rule&) { return false; };
  const auto frames = bench::classbench_trace(filters, o.packets, 42 + n);
  double empty_sum = 0, compiled_sum = 0;
  const uint32_t zero_key = 0;
  for (const auto& frame : frames) {
    // Which rule decided, from a single run with the last-match slot cleared first.
    const uint64_t zeros[256] = {};
    (void)tc2xdp::runtime::update_elem(
        last_fd, tc2xdp::runtime::bytes_of(zero_key),
        {reinterpret_cast<const uint8_t*>(zeros),
         8 * static_cast<size_t>(*tc2xdp::runtime::possible_cpus())});
    auto once = tc2xdp::runtime::test_run(prog_fd, frame);
    auto last = tc2xdp::runtime::read_percpu_counter(last_fd, 0);
    auto expected = tc2xdp::reference::classify(rules, frame, 1, ref_options);
    const uint64_t want = expected.matched ? expected.matched->index + 1 : 0;
    if (!once || !last || *last != want || once->retval != static_cast<uint32_t>(expected.verdict))
      ++row.disagreements;
    row.hits += want != 0;
    // Cost, side by side: the empty program and the compiled one on the same frame.
    auto empty = tc2xdp::runtime::test_run(empty_fd, frame, {.repeat = o.repeat});
    auto compiled = tc2xdp::runtime::test_run(prog_fd, frame, {.repeat = o.repeat});
    if (!empty || !compiled) return false;
    empty_sum += empty->duration_ns;
    compiled_sum += compiled->duration_ns;
  }
  row.packets = frames.size();
  row.empty_ns = empty_sum / frames.size();
  row.compiled_ns = compiled_sum / frames.size();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::cerr << "usage: classify_bench [--rules FILE] [--sizes 10,100,942] [--packets N] "
                 "[--repeat R] [--no-opt] [--inline]\n";
    return 2;
  }
  std::ifstream in(o.rules_path);
  if (!in) {
    std::cerr << o.rules_path << ": cannot open\n";
    return 1;
  }
  std::vector<classbench::Filter> all;
  std::string line, error;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto f = classbench::parse_line(line, error);
    if (!f) {
      std::cerr << o.rules_path << ": " << error << "\n";
      return 1;
    }
    all.push_back(*f);
  }
  auto empty = tc2xdp::runtime::load_trivial_xdp(2);
  if (!empty) {
    std::cerr << empty.error().to_string() << "\n";
    return 1;
  }
  std::printf("rule set: %s, %zu packets per size (10%% misses), BPF_PROG_TEST_RUN repeat %u\n",
              o.rules_path.c_str(), o.packets, o.repeat);
  std::printf("%6s %9s %8s %10s %8s %9s %9s %9s %9s %8s %6s %6s\n", "rules", "parse_ms", "plan_ms",
              "codegen_ms", "load_ms", "total_ms", "insns", "empty_ns", "prog_ns", "added_ns",
              "hit%", "agree");
  bool all_agree = true;
  for (size_t n : o.sizes) {
    Row r;
    if (!measure(all, n, o, empty->get(), r)) return 1;
    all_agree &= r.disagreements == 0;
    std::printf("%6zu %9.2f %8.2f %10.2f %8.2f %9.2f %9u %9.1f %9.1f %8.1f %5.1f%% %6s\n", r.rules,
                r.parse_ms, r.plan_ms, r.codegen_ms, r.load_ms,
                r.parse_ms + r.plan_ms + r.codegen_ms + r.load_ms, r.verified_insns, r.empty_ns,
                r.compiled_ns, r.compiled_ns - r.empty_ns, 100.0 * r.hits / r.packets,
                r.disagreements ? "NO" : "yes");
  }
  if (!all_agree) std::printf("DISAGREEMENT with the reference interpreter: see rows marked NO\n");
  return all_agree ? 0 : 1;
}
