// tc2xdp: the command-line entry point, kept small. A datapath command (filter, apply, -batch,
// show, status) goes to the daemon when one is up; everything else, and those when no daemon
// serves them, runs in tc2xdp-core next to this binary. This process links neither LLVM nor
// libbpf, so a change through the daemon pays no LLVM start-up (about 13 ms of relocations).
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "daemon_client.h"
#include "daemon_protocol.h"

namespace {

// tc2xdp-core in this executable's directory.
std::string core_path() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string();
  dir = dir.substr(0, dir.rfind('/') + 1);
  return dir + "tc2xdp-core";
}

// Makes `text` this process's stdin (what was read ahead of a request the daemon passed back).
bool replace_stdin(const std::string& text) {
  const int fd = memfd_create("tc2xdp-stdin", 0);
  if (fd < 0) return false;
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  const bool ok = lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO;
  close(fd);
  return ok;
}

// The network namespace -n names, entered as tc2xdp-core will enter it; false if it cannot be
// (tc2xdp-core then reports why).
bool enter_netns(const std::string& name) {
  const int fd = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  bool try_daemon = !tc2xdp::cli::daemon_disabled();
  if (argc >= 3 && (std::string(argv[1]) == "-n" || std::string(argv[1]) == "-netns")) {
    try_daemon = try_daemon && enter_netns(argv[2]);
    first = 3;
  }
  if (try_daemon && argc > first && tc2xdp::cli::daemon_serves(argv[first])) {
    const std::vector<std::string> args(argv + first + 1, argv + argc);
    tc2xdp::cli::InputTexts inputs;
    if (auto status = tc2xdp::cli::run_through_daemon(argv[first], args, inputs)) return *status;
    if (auto it = inputs.find("-"); it != inputs.end() && !replace_stdin(it->second)) {
      std::cerr << "tc2xdp: cannot pass stdin on: " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  const std::string core = core_path();
  execv(core.c_str(), argv);
  std::cerr << "tc2xdp: cannot run " << core << ": " << std::strerror(errno) << "\n";
  return 127;
}
