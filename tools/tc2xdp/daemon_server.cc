#include "daemon_server.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
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

// Connections taken together as one burst at the most.
constexpr size_t kMaxBurst = 64;

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
      const int first = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (first < 0) continue;
      std::vector<int> burst{first};
      while (burst.size() < kMaxBurst) {
        pollfd more{listener_.fd(), POLLIN, 0};
        if (poll(&more, 1, 0) <= 0 || !(more.revents & POLLIN)) break;
        const int next = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (next < 0) break;
        burst.push_back(next);
      }
      if (burst.size() == 1) {
        respond(receive(first));
      } else {
        serve_burst(burst);
      }
      for (int connection : burst) close(connection);
    }
  }
  install_datapath_store(nullptr);
  return signal_number;
}

DaemonServer::Call DaemonServer::receive(int connection) {
  Call call;
  call.connection = connection;
  call.start = std::chrono::steady_clock::now();
  set_timeouts(connection);
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
    return call;
  }
  call.pid = peer->pid;
  auto payload = read_frame(connection, FrameKind::kRequest);
  DaemonRequest request;
  if (!payload && payload.error().errno_value == ENODATA) return call;  // a liveness probe
  if (!payload || !decode(*payload, request)) {
    std::cerr << "tc2xdp daemon: pid " << peer->pid
              << ": bad request: " << (payload ? "malformed payload" : payload.error().to_string())
              << "\n";
    return call;
  }
  call.request = std::move(request);
  call.response = execute(*call.request, call.log);
  for (const auto& change : store_.take_changes()) {
    call.log += " [" + change.line + "]";
    if (change.held) call.held.push_back(change.dev);
  }
  return call;
}

void DaemonServer::respond(const Call& call) {
  if (!call.request) return;
  // Logged before replying, so whoever sees the reply finds the line.
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - call.start)
          .count();
  char took[32];
  std::snprintf(took, sizeof took, " %.2f ms", ms);
  std::cerr << "tc2xdp daemon: pid " << call.pid << ": " << joined(call.request->argv) << " -> "
            << call.log << took << std::endl;
  if (auto s = write_frame(call.connection, FrameKind::kResponse, encode(call.response)); !s)
    std::cerr << "tc2xdp daemon: pid " << call.pid << ": reply lost: " << s.error().to_string()
              << std::endl;
}

void DaemonServer::serve_burst(const std::vector<int>& connections) {
  std::vector<Call> calls;
  store_.set_deferring(true);
  for (int connection : connections) calls.push_back(receive(connection));
  store_.set_deferring(false);
  for (const auto& flushed : store_.flush()) {
    const auto waiting = [&](const Call& c) {
      return std::find(c.held.begin(), c.held.end(), flushed.dev) != c.held.end();
    };
    if (!flushed.report) {
      // The held changes went in all or not at all: none did. Each request runs again on its
      // own, so each gets the answer (and the effect) it would have had alone.
      for (Call& call : calls) {
        if (!waiting(call)) continue;
        call.log.clear();
        call.response = execute(*call.request, call.log);
        for (const auto& change : store_.take_changes()) call.log += " [" + change.line + "]";
        call.log += " (alone: the burst's recompile of " + flushed.dev + " failed)";
      }
      continue;
    }
    // What the commands print after a change: the compile's warnings and notes.
    std::string text = flushed.diagnostics;
    const runtime::ApplyReport& report = flushed.report.value();
    for (const auto& note : report.notes) text += "tc2xdp: note: " + note + "\n";
    size_t together = 0;
    for (const Call& call : calls) together += waiting(call);
    for (Call& call : calls) {
      if (!waiting(call)) continue;
      if (!text.empty()) call.response.output.push_back({OutputStream::kStderr, text});
      call.log += " [" + flushed.dev + ": compiled and swapped with " +
                  std::to_string(together - 1) + " other request(s) of the burst]";
    }
  }
  for (const Call& call : calls) respond(call);
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
  return response;
}

}  // namespace tc2xdp::cli
