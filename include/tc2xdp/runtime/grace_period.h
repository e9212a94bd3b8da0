// Waiting until no BPF program that started before the call still runs.
#pragma once

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

// An RCU grace period: XDP and tc programs run inside RCU read sections (NAPI, softirq), so once
// this returns, every run that began before it has ended. membarrier(MEMBARRIER_CMD_GLOBAL) where
// the kernel allows it (not with nohz_full), else an update of an ARRAY_OF_MAPS element, which
// the kernel makes wait for running programs before it returns to user space.
Status wait_for_running_programs();
// The second way alone (for its test: membarrier works on most kernels).
Status wait_by_map_of_maps_update();

}  // namespace tc2xdp::runtime
