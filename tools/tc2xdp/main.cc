// tc2xdp-core: compile TC flower rules into one XDP program. Run by build/tc2xdp (client/main.cc),
// which first offers the datapath commands to a running daemon.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

#include "commands.h"

namespace {

using tc2xdp::cli::Handler;

struct Command {
  Handler handler;
  const char* synopsis;
};

const std::map<std::string, Command>& command_table() {
  static const std::map<std::string, Command> table = {
      {"-batch",
       {tc2xdp::cli::run_batch,
        "-batch FILE          tc commands from FILE (- for stdin), one transaction per device"}},
      {"check", {tc2xdp::cli::run_check, "check FILE...        parse and validate rule files"}},
      {"fmt", {tc2xdp::cli::run_fmt, "fmt FILE             print rules in canonical tc syntax"}},
      {"compile",
       {tc2xdp::cli::run_compile,
        "compile FILE [-o OUT] [--emit obj|llvm|asm|plan]\n"
        "                       compile rules to a BPF object (or show IR, assembly, plan)"}},
      {"attach",
       {tc2xdp::cli::run_attach,
        "attach DEV FILE [--mode native|generic|hw] [--flow-cache N]\n"
        "                       compile FILE and attach it to DEV (pinned; survives exit);\n"
        "                       N flow cache entries per CPU, kept with DEV (0: none)\n"
        "  attach DEV --pass-through\n"
        "                       a pass-all program, so a veth peer receives redirected frames"}},
      {"apply",
       {tc2xdp::cli::run_apply,
        "apply DEV FILE [--flow-cache N]\n"
        "                       make DEV's rules exactly FILE (atomic swap, counters kept)"}},
      {"daemon",
       {tc2xdp::cli::run_daemon,
        "daemon [--socket PATH]\n"
        "                       serve filter, apply, -batch, show and status from one process\n"
        "                       (default socket /run/tc2xdp/daemon.sock; clients use it when it\n"
        "                       is up, TC2XDP_SOCKET=PATH picks another, TC2XDP_NO_DAEMON=1 "
        "none)"}},
      {"detach", {tc2xdp::cli::run_detach, "detach DEV           remove tc2xdp from DEV"}},
      {"filter",
       {tc2xdp::cli::run_filter,
        "filter add|replace|change|del dev DEV ingress ... flower ...\n"
        "                       change one rule, in tc's syntax"}},
      {"show",
       {tc2xdp::cli::run_show,
        "show DEV [-s] [-j]   DEV's rules, with counters (-s), as tc-style JSON (-j)"}},
      {"trace",
       {tc2xdp::cli::run_trace,
        "trace FILE --pcap IN.pcap [--ifindex N] [--json]\n"
        "                       run packets through the program and the reference, side by side"}},
      {"status", {tc2xdp::cli::run_status, "status               the interfaces under tc2xdp"}},
  };
  return table;
}

int usage(std::ostream& out, int status) {
  out << "usage: tc2xdp [-n NETNS] COMMAND [ARGS]\n\n"
         "  -n NETNS  run in network namespace NETNS (/run/netns/NETNS), as 'tc -n'\n\n"
         "commands:\n";
  for (const auto& [name, cmd] : command_table()) out << "  " << cmd.synopsis << "\n";
  return status;
}

// Enters a named network namespace for the rest of the process. Only the network namespace:
// unlike `ip netns exec`, the mount namespace (and so /sys/fs/bpf's pins) stays the host's.
bool enter_netns(const std::string& name) {
  const std::string path = "/run/netns/" + name;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    std::cerr << "tc2xdp: cannot enter network namespace " << name << " (" << path
              << "): " << std::strerror(errno) << "\n";
    if (fd >= 0) close(fd);
    return false;
  }
  close(fd);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (argc >= 3 && (std::string(argv[1]) == "-n" || std::string(argv[1]) == "-netns")) {
    if (!enter_netns(argv[2])) return 1;
    first = 3;
  }
  if (argc <= first) return usage(std::cerr, 2);
  const std::string name = argv[first];
  if (name == "-h" || name == "--help" || name == "help") return usage(std::cout, 0);
  auto it = command_table().find(name);
  if (it == command_table().end()) {
    std::cerr << "tc2xdp: unknown command '" << name << "'\n";
    return usage(std::cerr, 2);
  }
  return it->second.handler(tc2xdp::cli::Args(argv + first + 1, argv + argc));
}
