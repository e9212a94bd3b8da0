// ClassBench filters to OpenFlow flows (an `ovs-ofctl add-flows` file): Open vSwitch running the
// same rules as tc2xdp, for comparison.
//
// First match wins through priorities: line order becomes descending priority. OpenFlow
// priorities are 16 bits, so past `rules_per_table` rules the set continues in the next table: each
// table ends in a priority-0 flow that resubmits to the next, and the last one's takes the miss
// action. A port range becomes the value/mask pairs that cover it exactly (one flow per pair of
// source and destination pieces, all at the rule's priority). Every flow of rule N carries cookie
// N (its 1-based line number), the last table's miss flow cookie 0 and the resubmits
// kContinueCookie, so flow statistics add up per rule and count each packet once.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "classbench.h"

namespace classbench {

inline constexpr uint64_t kContinueCookie = 0x100000000;

struct OpenFlowOptions {
  ActionPolicy policy = ActionPolicy::kDrop;
  // tc's pass hands the packet to the host stack; a bridge's LOCAL port is OVS's way there.
  std::string pass_action = "LOCAL";
  std::string miss_action = "LOCAL";  // a tc miss continues too
  uint32_t rules_per_table = 65000;   // < 65535: priority 0 is the table's miss flow
};

// (value, mask) pairs, disjoint, whose union is exactly [lo, hi]; in ascending order.
std::vector<std::pair<uint16_t, uint16_t>> port_masks(const PortSpan& span);

// The flows of one rule (one line each, no newline), in table `table` at `priority`.
std::vector<std::string> to_openflow_rule(const Filter& filter, uint32_t pref, uint32_t table,
                                          uint32_t priority, const OpenFlowOptions& options);

// The whole flow file, one flow a line.
std::string to_openflow(const std::vector<Filter>& filters, const OpenFlowOptions& options);

}  // namespace classbench
