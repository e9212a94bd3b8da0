// Common map operations built from helper calls: keyed lookups and counter increments.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <cstdint>

namespace tc2xdp::codegen {

struct MapRef;
class XdpFunction;

// Stores `key` in a stack slot and looks it up: a pointer to the value, or null.
llvm::Value* lookup_by_value(XdpFunction& fn, const MapRef& map, llvm::Value* key,
                             const llvm::Twine& name = "");

// if (value = lookup(map, index)) *(u64 *)(value + byte_offset) += delta.
// Meant for per-CPU maps, where a plain add is race-free and far cheaper than an atomic.
void add_to_counter(XdpFunction& fn, const MapRef& map, llvm::Value* index, llvm::Value* delta,
                    uint32_t byte_offset = 0);

}  // namespace tc2xdp::codegen
