// The scale benchmark's trace: packets aimed at rules spread over the whole set (an address inside
// each prefix, ports inside each range) plus random misses, each with the rule ClassBench's
// first-match semantics expects (which may be an earlier, overlapping rule than the one aimed at).
#pragma once

#include <cstdint>
#include <vector>

#include "classbench.h"
#include "common/classbench_trace.h"

namespace bench {

struct TracePacket {
  classbench::Packet packet;
  Frame frame;    // 64 bytes
  long expected;  // index of the first matching filter, -1 for a miss
};

std::vector<TracePacket> make_trace(const std::vector<classbench::Filter>& filters, size_t count,
                                    uint64_t seed, double miss_share);

// How many trace packets each filter should count (the last element: misses).
std::vector<uint64_t> expected_histogram(const std::vector<TracePacket>& trace, size_t filters);

}  // namespace bench
