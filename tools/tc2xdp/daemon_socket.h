// The daemon's unix socket: listening (one daemon per path, owner-only permissions) and
// connecting, plus the peer's credentials.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::cli {

// An owned descriptor. (Not SocketFd: the thin client links no runtime, no LLVM.)
class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  SocketFd(SocketFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  SocketFd& operator=(SocketFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~SocketFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

class DaemonListener {
 public:
  // Listens on `path`: creates its directory (mode 0700) if missing, takes `path`.lock (held for
  // the daemon's life; refuses if another daemon holds it), replaces a stale socket file left by
  // a dead daemon, and binds with mode 0600.
  static Result<DaemonListener> open(const std::string& path);

  DaemonListener(DaemonListener&&) = default;
  // Closes the socket and removes its file (if it is still this listener's).
  ~DaemonListener();

  int fd() const { return socket_.get(); }
  const std::string& path() const { return path_; }

 private:
  DaemonListener() = default;
  std::string path_;
  SocketFd socket_, lock_;
  ino_t inode_ = 0;
};

// A connection to the daemon at `path`; an Error (ENOENT, ECONNREFUSED, EACCES, ...) if none
// accepts one.
Result<SocketFd> connect_daemon(const std::string& path);

// Who is at the other end of a unix socket (SO_PEERCRED: as of its connect()).
Result<ucred> peer_credentials(int fd);

}  // namespace tc2xdp::cli
