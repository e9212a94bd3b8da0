// tc2xdp daemon [--socket PATH]: serve the datapath commands from a long-running process, so
// neither process start-up nor re-reading an interface's state sits on the update path.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "commands.h"
#include "daemon_protocol.h"
#include "daemon_server.h"
#include "daemon_socket.h"

namespace tc2xdp::cli {

int run_daemon(const Args& args) {
  std::string path = kDefaultDaemonSocket;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--socket" && i + 1 < args.size()) {
      path = args[++i];
    } else {
      std::cerr << "usage: tc2xdp daemon [--socket PATH]   (default " << kDefaultDaemonSocket
                << ")\n";
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::cerr << "tc2xdp: the daemon needs root (CAP_BPF and CAP_NET_ADMIN)\n";
    return 1;
  }
  // Signals are taken synchronously, between requests: a change in progress always completes.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    std::cerr << "tc2xdp: sigprocmask: " << std::strerror(errno) << "\n";
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::cerr << "tc2xdp: signalfd: " << std::strerror(errno) << "\n";
    return 1;
  }
  auto listener = DaemonListener::open(path);
  if (!listener) {
    std::cerr << "tc2xdp: " << listener.error().to_string() << "\n";
    return 1;
  }
  std::cerr << "tc2xdp daemon: listening on " << path << " (pid " << getpid() << ")\n";
  int signal_number = 0;
  {
    DaemonServer server(std::move(*listener));
    signal_number = server.run(signal_fd);
  }  // the socket file goes here; attached programs stay, pinned
  close(signal_fd);
  std::cerr << "tc2xdp daemon: " << strsignal(signal_number) << ": socket " << path
            << " removed; programs stay attached\n";
  return 0;
}

}  // namespace tc2xdp::cli
