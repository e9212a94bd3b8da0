// The daemon's loop: accepts one connection at a time and runs its request with the commands'
// own code, against interfaces it keeps open (a resident DatapathStore).
#pragma once

#include <string>

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
  void serve(int connection);
  DaemonResponse execute(const DaemonRequest& request, std::string& log);

  DaemonListener listener_;
  DatapathStore store_{true};
  std::string netns_;
};

}  // namespace tc2xdp::cli
