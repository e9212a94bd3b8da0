// The files that remember a managed interface between processes: rules, stats slots, mode.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/datapath.h"

namespace tc2xdp::runtime {

struct SavedState {
  ir::RuleSet rules;
  std::map<plan::RuleKey, uint32_t> slots;
  XdpMode mode = XdpMode::kNative;
  // The flow cache size the interface was given (ApplyOptions::flow_cache_entries); nullopt in a
  // state written before it was kept.
  std::optional<uint32_t> flow_cache_entries;
  // Changes were filed into the live tables in place since the last full write, or the program
  // was built to another codegen::kProgramLayout: the maps hold what the program needs, but not
  // what make_plan would file, so no whole-set diff against them and no edits in place.
  bool tables_edited = false;
  // read_state_stamp() as of (just before) this read.
  std::string stamp;
};

std::string pin_dir(const DatapathPaths& paths, const std::string& ifname);
std::string state_dir(const DatapathPaths& paths, const std::string& ifname);

// nullopt if the interface has no saved state; an Error if it has but cannot be read.
Result<std::optional<SavedState>> read_state(const DatapathPaths& paths, const std::string& ifname);

// What changes with every write of the state: a fresh random generation token per full write
// (write_state) and the journal's inode and size (append_journal). A process holding the state in
// memory (the daemon) compares stamps to learn whether another one changed the interface since;
// mtimes are too coarse on tmpfs. Empty if there is no generation token (state written by a
// version without one: never trust a copy of it).
std::string read_state_stamp(const DatapathPaths& paths, const std::string& ifname);

// Writes the state (each file replaced atomically by rename) under a new generation token.
Status write_state(const DatapathPaths& paths, const std::string& ifname, const ir::RuleSet& rules,
                   const plan::Plan& plan, XdpMode mode, uint32_t flow_cache_entries);

// One in-place change for the journal that read_state replays after the full state: `command` in
// tc syntax, and the rule's stats slot (nullopt when the rule went away).
struct JournalEntry {
  std::string command;
  plan::RuleKey rule;
  std::optional<uint32_t> slot;
};

// Appends the entries in one write, so a reader sees all of them or none.
Status append_journal(const DatapathPaths& paths, const std::string& ifname,
                      const std::vector<JournalEntry>& entries);

Status remove_state(const DatapathPaths& paths, const std::string& ifname);

}  // namespace tc2xdp::runtime
