// daemon_bench: the latency of one `filter add` (a rule of an existing mask: data only) as an
// operator or a controller sees it, with and without `tc2xdp daemon`:
//
//   socket      connect to the daemon, send the request, read the reply (a controller speaking
//               the protocol itself)
//   cli+daemon  spawn of build/tc2xdp, which forwards to the daemon (what a shell script pays)
//   cli         spawn of build/tc2xdp with TC2XDP_NO_DAEMON=1: it execs build/tc2xdp-core, which
//               loads LLVM, rereads the state and plans twice
//   socket, stale  the socket again, after another process changed the interface (the daemon
//               notices and reopens it)
// The cli runs start from a fully written state (no journal of changes filed in place), so the
// in-process CLI's change is data only too.
//
// A private network namespace holds a veth pair; the daemon runs as a child process on a private
// socket. The interface carries N rules of one mask; each run adds one more and (untimed) deletes
// it again. Times are wall-clock from the start of the request to its reply or exit.
//
//   daemon_bench [--sizes 100,1000] [--runs N]
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/figures.h"
#include "daemon_protocol.h"
#include "daemon_socket.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/runtime/datapath.h"

namespace rt = tc2xdp::runtime;
namespace cli = tc2xdp::cli;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kCli = std::string(TC2XDP_BUILD_DIR) + "/tc2xdp";
constexpr const char* kDev = "dbn1";

std::string rule(size_t pref, size_t port) {
  return "filter add dev dbn1 ingress pref " + std::to_string(pref) +
         " protocol ip flower ip_proto udp dst_port " + std::to_string(port) + " action drop";
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  return {std::istream_iterator<std::string>(in), {}};
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void die(const std::string& what) {
  std::cerr << "daemon_bench: " << what << "\n";
  std::exit(1);
}

// One request over the socket, as a controller would send it; the exit status.
int through_socket(const std::string& socket, const std::vector<std::string>& argv) {
  auto fd = cli::connect_daemon(socket);
  if (!fd) die(fd.error().to_string());
  cli::DaemonRequest request{cli::netns_identity(), argv, {}};
  if (auto s = cli::write_frame(fd->get(), cli::FrameKind::kRequest, cli::encode(request)); !s)
    die(s.error().to_string());
  auto payload = cli::read_frame(fd->get(), cli::FrameKind::kResponse);
  cli::DaemonResponse response;
  if (!payload || !cli::decode(*payload, response)) die("no reply from the daemon");
  if (response.disposition != cli::Disposition::kDone) die("the daemon did not run it");
  return response.status;
}

// build/tc2xdp with `args`, `env` added to the environment, output discarded; the exit status.
// posix_spawn (vfork-like): a fork of this process, which maps libLLVM, would time page-table
// copying rather than the CLI.
int run_cli(const std::string& line, const std::string& env) {
  const auto args = words(line);
  std::vector<char*> argv{const_cast<char*>(kCli.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp{const_cast<char*>(env.c_str())};
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, kCli.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void print_row(size_t n, const char* path, const std::vector<double>& ms) {
  std::printf("%7zu %-16s %5zu %10.2f %10.2f\n", n, path, ms.size(), bench::percentile(ms, 0.5),
              bench::percentile(ms, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {100, 1000};
  int runs = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--sizes") {
      sizes = bench::parse_sizes(argv[i + 1]);
    } else if (a == "--runs") {
      runs = std::stoi(argv[i + 1]);
    } else {
      std::cerr << "usage: daemon_bench [--sizes 100,1000] [--runs N]\n";
      return 2;
    }
  }
  if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) die("needs root (a private network namespace)");
  if (std::system("ip link set lo up && ip link add dbn0 type veth peer name dbn1 && "
                  "ip link set dbn0 up && ip link set dbn1 up") != 0)
    return 1;
  char dir[] = "/tmp/t2xdbench.XXXXXX";
  if (!mkdtemp(dir)) die("mkdtemp");
  const std::string socket = std::string(dir) + "/d.sock", log = std::string(dir) + "/daemon.log";
  const std::string socket_env = "TC2XDP_SOCKET=" + socket;

  const pid_t daemon = fork();
  if (daemon == 0) {  // inherits the private namespace
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    execl(kCli.c_str(), kCli.c_str(), "daemon", "--socket", socket.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && !cli::connect_daemon(socket); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  std::printf("filter add of a rule of an existing mask (data only), wall clock per request\n");
  std::printf("%7s %-16s %5s %10s %10s\n", "rules", "path", "runs", "median_ms", "p99_ms");
  for (size_t n : sizes) {
    std::string base;
    for (size_t i = 0; i < n; ++i) base += rule(i + 1, 10000 + i) + "\n";
    // The base set by a full write: no journal, so the in-process CLI's change is a diff of
    // data too (after changes filed in place, it recompiles).
    const auto reset = [&] {
      tc2xdp::ir::RuleSet rules;
      tc2xdp::Diagnostics diags;
      if (!tc2xdp::frontend::tc::load_rules(base, "bench.tc", rules, diags)) die(diags.to_string());
      if (auto r = rt::Datapath::apply(kDev, rules, {}, diags); !r) die(r.error().to_string());
    };
    (void)rt::Datapath::detach(kDev);
    reset();
    const std::string add = rule(n + 1000, 40000);
    const std::string del = "filter del dev dbn1 ingress pref " + std::to_string(n + 1000);
    const std::string local_env = "TC2XDP_NO_DAEMON=1";
    std::vector<double> socket_ms, cli_daemon_ms, cli_ms, stale_ms;

    (void)through_socket(socket, words("show dbn1"));  // the daemon opens dbn1 once
    for (int r = 0; r < runs; ++r) {
      auto t0 = Clock::now();
      if (through_socket(socket, words(add)) != 0) die("socket add failed");
      socket_ms.push_back(ms_since(t0));
      if (through_socket(socket, words(del)) != 0) die("socket del failed");

      t0 = Clock::now();
      if (run_cli(add, socket_env) != 0) die("cli+daemon add failed");
      cli_daemon_ms.push_back(ms_since(t0));
      if (through_socket(socket, words(del)) != 0) die("socket del failed");
    }

    reset();
    for (int r = 0; r < runs; ++r) {
      const auto t0 = Clock::now();
      if (run_cli(add, local_env) != 0) die("cli add failed");
      cli_ms.push_back(ms_since(t0));
      if (run_cli(del, local_env) != 0) die("cli del failed");
    }

    // Another process changes dbn1 behind the daemon's back (untimed; a recompile once the
    // daemon has filed changes in place): the daemon reopens it before the add.
    for (int r = 0; r < std::max(5, runs / 5); ++r) {
      if (run_cli(add, local_env) != 0 || run_cli(del, local_env) != 0) die("cli failed");
      const auto t0 = Clock::now();
      if (through_socket(socket, words(add)) != 0) die("socket add failed");
      stale_ms.push_back(ms_since(t0));
      if (through_socket(socket, words(del)) != 0) die("socket del failed");
    }
    print_row(n, "socket", socket_ms);
    print_row(n, "cli+daemon", cli_daemon_ms);
    print_row(n, "cli", cli_ms);
    print_row(n, "socket, stale", stale_ms);
  }
  kill(daemon, SIGTERM);
  waitpid(daemon, nullptr, 0);
  (void)rt::Datapath::detach(kDev);

  // How the daemon applied the adds (its log): all should be map writes, most in place.
  std::ifstream in(log);
  size_t adds = 0, data_only = 0, in_place = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("filter add") == std::string::npos) continue;
    ++adds;
    data_only += line.find("data-only") != std::string::npos;
    in_place += line.find("data-only in place") != std::string::npos;
  }
  std::printf("\ndaemon: %zu of %zu adds were map writes (%zu filed in place)\n", data_only, adds,
              in_place);
  std::system(("rm -rf " + std::string(dir)).c_str());
  return 0;
}
