// tc2xdp's side of the benchmark, through its public APIs: rules text -> parse -> Datapath::apply
// (plan, codegen, load, attach), then the attached program's fd, its maps and its counters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/runtime/datapath.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace bench {

struct CompileRun {
  bool ok = false;
  std::string error;          // the compiler's last words when it failed (or timed out)
  double parse_s = 0;         // tc text -> RuleSet
  double total_s = 0;         // tc text -> program attached
  uint32_t instructions = 0;  // verified
};

// One compile in a child process, because the compiler may abort the process on sizes it cannot
// handle: parse `tc_text`, Datapath::apply it to `ifname`, exit. The program stays attached
// through its pinned link. A child still running after `timeout_s` is killed.
CompileRun compile_in_child(const std::string& tc_text, const std::string& ifname,
                            const tc2xdp::runtime::DatapathPaths& paths, double timeout_s);

struct AttachedProgram {
  tc2xdp::runtime::UniqueFd program;
  tc2xdp::runtime::UniqueFd last_match;  // t2x_last
  std::vector<long> filter_of_rule;      // RuleSet index -> line index (-1: a chain's goto)
  // Its maps' memory as the kernel accounts it (fdinfo "memlock": map_mem_usage, with array
  // elements rounded up to 8 bytes, per-CPU values once per possible CPU, hash overheads).
  uint64_t map_bytes = 0;
  // The same, declared: sum of (key + value) * max_entries, per-CPU values once per CPU (the
  // figure earlier runs reported).
  uint64_t map_bytes_declared = 0;
};

tc2xdp::Result<AttachedProgram> open_attached(const std::string& ifname,
                                              const tc2xdp::runtime::DatapathPaths& paths);

// Packets per line (the last element: packets no rule decided), from the Datapath's counters;
// `processed` is what the device saw in total.
std::vector<uint64_t> rule_histogram(const std::string& ifname,
                                     const tc2xdp::runtime::DatapathPaths& paths,
                                     const std::vector<long>& filter_of_rule, size_t lines,
                                     uint64_t processed);

}  // namespace bench
