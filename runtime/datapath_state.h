// The files that remember a managed interface between processes: rules, stats slots, mode.
#pragma once

#include <map>
#include <string>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::runtime {

struct SavedState {
  ir::RuleSet rules;
  std::map<plan::RuleKey, uint32_t> slots;
  XdpMode mode = XdpMode::kNative;
  // A fresh random token per write: a process holding the state in memory (the daemon) compares
  // it to learn whether another process changed the interface since (mtimes are too coarse).
  std::string generation;
};

std::string pin_dir(const DatapathPaths& paths, const std::string& ifname);
std::string state_dir(const DatapathPaths& paths, const std::string& ifname);

// nullopt if the interface has no saved state; an Error if it has but cannot be read.
Result<std::optional<SavedState>> read_state(const DatapathPaths& paths, const std::string& ifname);

// The generation token on disk; empty if there is none.
std::string read_generation(const DatapathPaths& paths, const std::string& ifname);

// Writes the state (each file replaced atomically by rename) under a new generation token,
// which it returns.
Result<std::string> write_state(const DatapathPaths& paths, const std::string& ifname,
                                const ir::RuleSet& rules, const plan::Plan& plan, XdpMode mode);

Status remove_state(const DatapathPaths& paths, const std::string& ifname);

}  // namespace tc2xdp::runtime
