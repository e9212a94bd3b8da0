// The daemon's loop: accepts connections and runs their requests, one at a time, with the
// commands' own code, against interfaces it keeps open (a resident DatapathStore). Requests that
// queue up while one is served are a burst: their recompiles are coalesced.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon_protocol.h"
#include "daemon_socket.h"
#include "datapath_store.h"

namespace tc2xdp::cli {

class DaemonServer {
 public:
  explicit DaemonServer(DaemonListener listener);

  // Serves until SIGTERM or SIGINT arrives (both must be blocked by the caller and readable on
  // `signal_fd`); a request being served finishes first. Returns the signal's number.
  int run(int signal_fd);

 private:
  // A connection's request, once read (nullopt: refused, a liveness probe, or malformed).
  struct Call {
    int connection = -1;
    pid_t pid = 0;
    std::chrono::steady_clock::time_point start;
    std::optional<DaemonRequest> request;
    DaemonResponse response;
    std::string log;
    std::vector<std::string> held;  // interfaces whose change waits for the burst's recompile
  };
  Call receive(int connection);
  void respond(const Call& call);
  // Connections that queued while the previous request was served: their changes that need a
  // recompile are held and compiled together, one swap per interface.
  void serve_burst(const std::vector<int>& connections);
  DaemonResponse execute(const DaemonRequest& request, std::string& log);

  DaemonListener listener_;
  DatapathStore store_{true};
  std::string netns_;
};

}  // namespace tc2xdp::cli
