#include "daemon_server.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>

#include "commands.h"
#include "output_capture.h"
#include "rules_input.h"

namespace tc2xdp::cli {

namespace {

// A stuck or malicious client must not hold the (single-threaded) daemon for long.
constexpr int kIoTimeoutSeconds = 30;

void set_timeouts(int fd) {
  timeval tv{kIoTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  if (out.size() > 160) out = out.substr(0, 157) + "...";
  return out;
}

DaemonResponse refusal(const std::string& message) {
  DaemonResponse response;
  response.status = 1;
  response.output.push_back({OutputStream::kStderr, message});
  return response;
}

}  // namespace

Handler daemon_command(const std::string& name) {
  if (name == "filter") return run_filter;
  if (name == "apply") return run_apply;
  if (name == "-batch") return run_batch;
  if (name == "show") return run_show;
  if (name == "status") return run_status;
  return nullptr;
}

DaemonServer::DaemonServer(DaemonListener listener)
    : listener_(std::move(listener)), netns_(netns_identity()) {}

int DaemonServer::run(int signal_fd) {
  install_datapath_store(&store_);
  int signal_number = 0;
  while (signal_number == 0) {
    pollfd fds[2] = {{listener_.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof info) == sizeof info) signal_number = info.ssi_signo;
      continue;
    }
    if (fds[0].revents & POLLIN) {
      const int connection = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      serve(connection);
      close(connection);
    }
  }
  install_datapath_store(nullptr);
  return signal_number;
}

void DaemonServer::serve(int connection) {
  set_timeouts(connection);
  const auto start = std::chrono::steady_clock::now();
  auto peer = peer_credentials(connection);
  if (!peer || peer->uid != 0) {
    const std::string who =
        peer ? "uid " + std::to_string(peer->uid) + " (pid " + std::to_string(peer->pid) + ")"
             : "a peer of unknown identity";
    std::cerr << "tc2xdp daemon: refused " << who << ": not root" << std::endl;
    // Answer without reading the request: it comes from someone we do not serve.
    (void)write_frame(connection, FrameKind::kResponse,
                      encode(refusal("tc2xdp: the daemon at " + listener_.path() +
                                     " serves only root (uid 0); " + who + " refused\n")));
    return;
  }
  auto payload = read_frame(connection, FrameKind::kRequest);
  DaemonRequest request;
  if (!payload && payload.error().errno_value == ENODATA) return;  // a liveness probe
  if (!payload || !decode(*payload, request)) {
    std::cerr << "tc2xdp daemon: pid " << peer->pid
              << ": bad request: " << (payload ? "malformed payload" : payload.error().to_string())
              << "\n";
    return;
  }
  std::string log;
  const DaemonResponse response = execute(request, log);
  // Logged before replying, so whoever sees the reply finds the line.
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  char took[32];
  std::snprintf(took, sizeof took, " %.2f ms", ms);
  std::cerr << "tc2xdp daemon: pid " << peer->pid << ": " << joined(request.argv) << " -> " << log
            << took << std::endl;
  if (auto s = write_frame(connection, FrameKind::kResponse, encode(response)); !s)
    std::cerr << "tc2xdp daemon: pid " << peer->pid << ": reply lost: " << s.error().to_string()
              << std::endl;
}

DaemonResponse DaemonServer::execute(const DaemonRequest& request, std::string& log) {
  DaemonResponse response;
  const Handler handler = daemon_command(request.argv[0]);
  // Device names mean something only in one network namespace; the client runs the command
  // itself in its own. So does it with a command this daemon does not serve (an older daemon).
  if (request.netns != netns_ || handler == nullptr) {
    response.disposition = Disposition::kRunLocally;
    log = request.netns != netns_ ? "run by the client (another network namespace)"
                                  : "run by the client (not served here)";
    return response;
  }
  {
    ScopedInputs inputs(request.inputs);
    OutputCapture capture;
    try {
      response.status =
          handler(std::vector<std::string>(request.argv.begin() + 1, request.argv.end()));
    } catch (const std::exception& e) {
      std::cerr << "tc2xdp: internal error: " << e.what() << "\n";
      response.status = 1;
    }
    response.output = capture.take();
  }
  log = "exit " + std::to_string(response.status);
  for (const auto& change : store_.take_changes()) log += " [" + change + "]";
  return response;
}

}  // namespace tc2xdp::cli
