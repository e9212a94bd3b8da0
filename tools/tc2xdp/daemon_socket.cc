#include "daemon_socket.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tc2xdp::cli {

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Error{"daemon socket " + path, ENAMETOOLONG, "a unix socket path has 1-107 bytes"};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Status make_parent_dirs(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Ok{};
  const std::string dir = path.substr(0, slash);
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return Error{"mkdir " + part, errno, ""};
  }
  return Ok{};
}

// The pid a running daemon wrote into its lock file, for the error message.
std::string lock_holder(int fd) {
  char text[32] = {};
  const ssize_t n = pread(fd, text, sizeof text - 1, 0);
  std::string pid(text, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown pid" : "pid " + pid;
}

}  // namespace

Result<DaemonListener> DaemonListener::open(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();
  if (auto s = make_parent_dirs(path); !s) return s.error();

  DaemonListener listener;
  listener.path_ = path;
  const std::string lock_path = path + ".lock";
  listener.lock_ = SocketFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (listener.lock_.get() < 0) return Error{"open " + lock_path, errno, ""};
  if (flock(listener.lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return Error{"lock " + lock_path, errno, ""};
    return Error{"start the daemon on " + path, EADDRINUSE,
                 "another tc2xdp daemon is running there (" + lock_holder(listener.lock_.get()) +
                     "); stop it first, or pass --socket PATH"};
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(listener.lock_.get(), 0) != 0 ||
      pwrite(listener.lock_.get(), pid.data(), pid.size(), 0) < 0)
    return Error{"write " + lock_path, errno, ""};

  // The lock is ours, so a socket file here is a dead daemon's (unless something else that
  // does not take our lock listens on it: then refuse rather than steal its path).
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return Error{"start the daemon on " + path, EEXIST, "the path exists and is not a socket"};
    if (connect_daemon(path))
      return Error{"start the daemon on " + path, EADDRINUSE,
                   "something already accepts connections there"};
    if (unlink(path.c_str()) != 0) return Error{"remove stale socket " + path, errno, ""};
  }

  listener.socket_ = SocketFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.socket_.get() < 0) return Error{"socket", errno, ""};
  const mode_t old_mask = umask(0177);  // the socket file is born 0600: no window
  const int bound =
      bind(listener.socket_.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  const int bind_errno = errno;
  umask(old_mask);
  if (bound != 0) return Error{"bind " + path, bind_errno, ""};
  if (chmod(path.c_str(), 0600) != 0 || lstat(path.c_str(), &st) != 0)
    return Error{"chmod " + path, errno, ""};
  listener.inode_ = st.st_ino;
  if (listen(listener.socket_.get(), 64) != 0) return Error{"listen " + path, errno, ""};
  return listener;
}

DaemonListener::~DaemonListener() {
  if (socket_.get() < 0) return;
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0 && st.st_ino == inode_) unlink(path_.c_str());
  // The lock file stays: removing it would let a daemon starting now lock a different inode
  // than one that opened the old file a moment ago.
}

Result<SocketFd> connect_daemon(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();
  SocketFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Error{"socket", errno, ""};
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
    return Error{"connect to " + path, errno, ""};
  return fd;
}

Result<ucred> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return Error{"SO_PEERCRED", errno, ""};
  return cred;
}

}  // namespace tc2xdp::cli
