// Serialises changes to one managed interface: an exclusive flock on <state_root>/<ifname>.lock,
// held from reading an interface's state to writing it back, so concurrent processes (CLI runs,
// the daemon) never lose each other's changes. Re-entrant within a process (nested holders share
// the one lock); threads of one process are not serialised against each other by it.
#pragma once

#include <string>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::runtime {

class StateLock {
 public:
  // Blocks until the interface is free.
  static Result<StateLock> acquire(const std::string& ifname, const DatapathPaths& paths = {});

  StateLock(StateLock&& other) noexcept : key_(std::move(other.key_)) { other.key_.clear(); }
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  ~StateLock();

 private:
  explicit StateLock(std::string key) : key_(std::move(key)) {}
  std::string key_;  // the lock file's path; empty once moved from
};

}  // namespace tc2xdp::runtime
