#include "tc2xdp/runtime/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>

namespace tc2xdp::runtime {

namespace {

struct Held {
  int fd = -1;
  int holders = 0;
};

// This process's locks, by lock file: a second flock on another descriptor of the same file
// would wait for the first, so nested holders share it instead.
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, Held>& registry() {
  static std::map<std::string, Held> held;
  return held;
}

}  // namespace

Result<StateLock> StateLock::acquire(const std::string& ifname, const DatapathPaths& paths) {
  const std::string path = paths.state_root + "/" + ifname + ".lock";
  std::lock_guard guard(registry_mutex());
  auto& held = registry()[path];
  if (held.holders > 0) {
    ++held.holders;
    return StateLock(path);
  }
  for (size_t at = 1; at != std::string::npos;) {
    at = paths.state_root.find('/', at + 1);
    const std::string dir = paths.state_root.substr(0, at);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Error{"mkdir " + dir, errno, ""};
  }
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"open " + path, errno, ""};
  while (flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int saved = errno;
    close(fd);
    return Error{"lock " + path, saved, ""};
  }
  held = {fd, 1};
  return StateLock(path);
}

StateLock::~StateLock() {
  if (key_.empty()) return;
  std::lock_guard guard(registry_mutex());
  auto it = registry().find(key_);
  if (it == registry().end() || --it->second.holders > 0) return;
  close(it->second.fd);  // releases the flock
  registry().erase(it);
}

}  // namespace tc2xdp::runtime
