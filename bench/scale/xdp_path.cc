#include "scale/xdp_path.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "classbench.h"
#include "scale/system.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/map_io.h"

namespace bench {

namespace rt = tc2xdp::runtime;
using tc2xdp::Error;

namespace {

[[noreturn]] void child_main(const std::string& tc_text, const std::string& ifname,
                             const rt::DatapathPaths& paths, int out_fd) {
  auto report = [out_fd](const std::string& line) {
    (void)!write(out_fd, line.data(), line.size());
    _exit(0);
  };
  const auto start = Clock::now();
  tc2xdp::ir::RuleSet rules;
  tc2xdp::Diagnostics diags;
  if (!tc2xdp::frontend::tc::load_rules(tc_text, "bench", rules, diags))
    report("error parse: " + diags.to_string());
  const double parse_s = seconds_since(start);
  rt::ApplyOptions options;
  options.allow_generic_fallback = false;
  options.paths = paths;
  auto applied = rt::Datapath::apply(ifname, rules, options, diags);
  if (!applied) report("error " + applied.error().to_string());
  const double total_s = seconds_since(start);
  char line[128];
  std::snprintf(line, sizeof line, "ok %.6f %.6f %u", parse_s, total_s,
                applied->verified_instructions);
  report(line);
  _exit(0);  // not reached: report exits
}

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  const size_t nl = trimmed.rfind('\n');
  return nl == std::string::npos ? trimmed : trimmed.substr(nl + 1);
}

}  // namespace

CompileRun compile_in_child(const std::string& tc_text, const std::string& ifname,
                            const rt::DatapathPaths& paths, double timeout_s) {
  CompileRun run;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    run.error = "pipe failed";
    return run;
  }
  const std::string err_path = "/tmp/tb_scale_compile.err";
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    if (FILE* err = std::freopen(err_path.c_str(), "w", stderr)) (void)err;
    child_main(tc_text, ifname, paths, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  std::string reply;
  const auto start = Clock::now();
  bool timed_out = false;
  for (;;) {
    const double left = timeout_s - seconds_since(start);
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, n);
  }
  close(pipe_fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream err_in(err_path);
  const std::string child_err((std::istreambuf_iterator<char>(err_in)), {});
  std::remove(err_path.c_str());
  if (timed_out) {
    run.error = "no program after " + std::to_string(static_cast<int>(timeout_s)) + " s";
  } else if (reply.rfind("ok ", 0) == 0) {
    run.ok = std::sscanf(reply.c_str(), "ok %lf %lf %u", &run.parse_s, &run.total_s,
                         &run.instructions) == 3;
  } else if (!reply.empty()) {
    run.error = last_line(reply.substr(6));
  } else {
    run.error = WIFSIGNALED(status) ? "compiler died (" + std::string(strsignal(WTERMSIG(status))) +
                                          "): " + last_line(child_err)
                                    : "compiler exited: " + last_line(child_err);
  }
  return run;
}

namespace {

// The "memlock:" line of a map fd's fdinfo: the kernel's own count of the map's memory.
tc2xdp::Result<uint64_t> fdinfo_memlock(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string key;
  uint64_t value = 0;
  while (in >> key) {
    if (key == "memlock:" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return Error{"fdinfo of a map", ENOENT, "no memlock line"};
}

bool per_cpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

}  // namespace

tc2xdp::Result<AttachedProgram> open_attached(const std::string& ifname,
                                              const rt::DatapathPaths& paths) {
  auto datapath = rt::Datapath::open(ifname, paths);
  if (!datapath) return datapath.error();
  AttachedProgram a;
  const int prog = bpf_prog_get_fd_by_id(datapath->program_id());
  if (prog < 0) return Error{"bpf_prog_get_fd_by_id", errno, ""};
  a.program = rt::UniqueFd(prog);

  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog, &info, &len) != 0)
    return Error{"bpf_obj_get_info_by_fd", errno, ""};
  std::vector<uint32_t> ids(info.nr_map_ids);
  info = {};
  info.nr_map_ids = ids.size();
  info.map_ids = reinterpret_cast<uint64_t>(ids.data());
  len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog, &info, &len) != 0)
    return Error{"bpf_obj_get_info_by_fd", errno, "map ids"};
  const uint64_t cpus = rt::possible_cpus().value_or(1);
  for (uint32_t id : ids) {
    rt::UniqueFd map(bpf_map_get_fd_by_id(id));
    if (map.get() < 0) return Error{"bpf_map_get_fd_by_id", errno, ""};
    bpf_map_info m{};
    uint32_t mlen = sizeof m;
    if (bpf_obj_get_info_by_fd(map.get(), &m, &mlen) != 0)
      return Error{"bpf_obj_get_info_by_fd", errno, ""};
    const uint64_t value =
        per_cpu(m.type) ? ((m.value_size + 7) / 8 * 8) * cpus : uint64_t{m.value_size};
    a.map_bytes_declared += (m.key_size + value) * uint64_t{m.max_entries};
    const auto memlock = fdinfo_memlock(map.get());
    if (!memlock) return memlock.error();
    a.map_bytes += *memlock;
    if (std::strcmp(m.name, tc2xdp::codegen::kLastMatchMap) == 0) a.last_match = std::move(map);
  }
  if (a.last_match.get() < 0) return Error{"open_attached", ENOENT, "no t2x_last map"};

  for (const auto& rule : datapath->rules().rules()) {
    const bool jump = rule.protocol == tc2xdp::ir::kEthPAll;  // the chains' catch-all gotos
    a.filter_of_rule.push_back(
        jump ? -1 : static_cast<long>(rule.chain) * classbench::kRulesPerChain + rule.pref - 1);
  }
  return a;
}

std::vector<uint64_t> rule_histogram(const std::string& ifname, const rt::DatapathPaths& paths,
                                     const std::vector<long>& filter_of_rule, size_t lines,
                                     uint64_t processed) {
  std::vector<uint64_t> counts(lines + 1, 0);
  auto datapath = rt::Datapath::open(ifname, paths);
  if (!datapath) return counts;
  auto counters = datapath->counters();
  if (!counters) return counts;
  uint64_t decided = 0;
  for (size_t r = 0; r < counters->size() && r < filter_of_rule.size(); ++r) {
    if (filter_of_rule[r] < 0) continue;
    counts[filter_of_rule[r]] += (*counters)[r].packets;
    decided += (*counters)[r].packets;
  }
  counts[lines] = processed - decided;
  return counts;
}

}  // namespace bench
