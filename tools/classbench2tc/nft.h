// ClassBench filters to an nftables script (`nft -f`): the kernel's classic packet path running
// the same rules as tc2xdp, for comparison.
//
// One netdev table with a base chain on the device's ingress hook; the rules in line order (first
// match wins, as with tc's pref order), each with a counter and an accept or drop verdict. A last
// verdict-less `counter` rule counts the packets no rule matched; the chain's policy then accepts
// them, as a tc miss continues into the stack.
#pragma once

#include <string>
#include <vector>

#include "classbench.h"

namespace classbench {

struct NftOptions {
  std::string table = "classbench";
  std::string chain = "ingress";
  std::string device = "eth0";
  ActionPolicy policy = ActionPolicy::kDrop;
};

// The match and statements of one rule, e.g.
// `ip saddr 10.0.0.0/8 ip protocol tcp tcp dport 80 counter drop`.
std::string to_nft_rule(const Filter& filter, uint32_t pref, ActionPolicy policy);

// The whole script: `table netdev T { chain C { type filter hook ingress device "D" ... } }`.
std::string to_nft(const std::vector<Filter>& filters, const NftOptions& options);

}  // namespace classbench
