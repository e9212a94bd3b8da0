// Which csum steps jump into the csum code every list shares (lower_actions.cc). That code returns
// through a switch on an index the verifier cannot see, so to the verifier it may resume at any
// list's resume point: if some list shares the code for flags F and later the code for G, and
// another (or the same) list shares G and later F, the verifier sees a loop and rejects the
// program ("infinite loop detected"; `csum icmp pipe action csum icmp` alone does it). A step
// that would close such a cycle gets its own copy of the code instead.
#pragma once

#include <cstdint>
#include <map>
#include <set>

namespace tc2xdp::codegen::detail {

class CsumSharing {
 public:
  void start_list() { used_.clear(); }
  // Whether this list's next csum, with `flags`, may use the shared code (then recorded).
  bool share(uint32_t flags) {
    if (used_.contains(flags)) return false;
    for (uint32_t u : used_)
      if (reaches(flags, u)) return false;
    for (uint32_t u : used_) after_[u].insert(flags);
    used_.insert(flags);
    return true;
  }

 private:
  bool reaches(uint32_t from, uint32_t to) const {
    if (from == to) return true;
    auto it = after_.find(from);
    if (it == after_.end()) return false;
    for (uint32_t next : it->second)
      if (reaches(next, to)) return true;
    return false;
  }
  std::set<uint32_t> used_;                       // shared by the current list so far
  std::map<uint32_t, std::set<uint32_t>> after_;  // F -> flags some list shares after F
};

}  // namespace tc2xdp::codegen::detail
