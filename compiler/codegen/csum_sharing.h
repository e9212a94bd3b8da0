// Which csum steps jump into the csum code the lists share (lower_actions.cc). That code returns
// through a switch on an index the verifier cannot see, so to the verifier it may resume at any
// caller's resume point: if some list enters shared code A and later shared code B while another
// list enters B and later A, the verifier sees a loop and rejects the program ("infinite loop
// detected"). A step that would close such a cycle gets its own copy of the code instead. Keys
// name one piece of shared code (lower_actions.cc: the flags, and which use within the list).
#pragma once

#include <cstdint>
#include <map>
#include <set>

namespace tc2xdp::codegen::detail {

class CsumSharing {
 public:
  void start_list() { used_.clear(); }
  // Whether this list's next csum may use the shared code `key` (then recorded).
  bool share(uint64_t key) {
    if (used_.contains(key)) return false;
    for (uint64_t u : used_)
      if (reaches(key, u)) return false;
    for (uint64_t u : used_) after_[u].insert(key);
    used_.insert(key);
    return true;
  }

 private:
  bool reaches(uint64_t from, uint64_t to) const {
    if (from == to) return true;
    auto it = after_.find(from);
    if (it == after_.end()) return false;
    for (uint64_t next : it->second)
      if (reaches(next, to)) return true;
    return false;
  }
  std::set<uint64_t> used_;                       // entered by the current list so far
  std::map<uint64_t, std::set<uint64_t>> after_;  // A -> shared code some list enters after A
};

}  // namespace tc2xdp::codegen::detail
