// Building a table's cut tree (plan/lookup.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "tc2xdp/plan/lookup.h"

namespace tc2xdp::plan {

inline constexpr size_t kTreeMinGroup = 16;  // smaller groups go to tuples
inline constexpr size_t kMaxTrees = 8;       // per table; what the last leaves out goes to tuples

struct TreeBuild {
  std::vector<Tree> trees;      // empty when no tree within its memory budget held half its rules
  std::vector<size_t> residue;  // Table::records indexes no tree holds, ascending
};

// Trees over `table`'s records (its layout, records and range flags; tuples are ignored), each
// over what the ones before it left out. `record_ids[i]` is records[i]'s id in the record map.
// Every record is in some tree, in each of its leaves whose region it overlaps, or in the residue.
// A group of records narrow in the same dimensions gets a tree from `min_group` records on, up to
// `max_trees` trees.
TreeBuild build_trees(const Table& table, const std::vector<uint32_t>& record_ids,
                      size_t min_group = kTreeMinGroup, size_t max_trees = kMaxTrees);

// The planner's estimate of a walk's cost in ns, from the tree's depth and leaves.
double estimated_walk_ns(const Tree& tree);

}  // namespace tc2xdp::plan
