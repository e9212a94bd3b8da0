// The benchmark's surroundings: shell commands, the veth pair in a private network namespace,
// device counters, timing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values);

// Runs `command` with /bin/sh; its stdout, and its exit status in `status` when given.
std::string shell(const std::string& command, int* status = nullptr);
// Runs `command`; false (and its output on stderr) if it fails.
bool shell_ok(const std::string& command);

// Moves this process into a new network namespace with veth `sender` <-> `receiver`, both up,
// IPv6 off (no stray frames). GRO is switched on at the receiver: a veth takes XDP_TX'd frames
// only into a NAPI context, which it has with an XDP program attached or with GRO on.
bool make_private_veth(const std::string& sender, const std::string& receiver);

// The device's received packets (netlink, through `ip -s -j`).
uint64_t rx_packets(const std::string& dev);

// Pins the calling thread to one CPU.
void pin_to_cpu(int cpu);

}  // namespace bench
