// A seeded, ClassBench-like synthetic rule set of any size (the 100k-rule benchmark row): prefixes
// nested under a pool of address blocks, ClassBench's port classes (wildcard, 0-1023, 1024-65535,
// an arbitrary range, an exact well-known or random port) and a protocol mix dominated by TCP and
// UDP. Filters are unique, and each one is accepted by parse_line in its ClassBench form. The
// same (count, seed) gives the same set on every machine (no std distributions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "classbench.h"

namespace classbench {

std::vector<Filter> synthetic_filters(size_t count, uint64_t seed);

}  // namespace classbench
