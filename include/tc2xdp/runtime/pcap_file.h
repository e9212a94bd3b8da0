// Reading and writing classic pcap files (Ethernet link type), for `tc2xdp trace` and tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::runtime {

struct PcapPacket {
  std::vector<uint8_t> data;  // the captured bytes
  uint32_t original_length = 0;
  uint64_t timestamp_ns = 0;
};

// Reads a pcap file with microsecond or nanosecond timestamps, either byte order, link type
// Ethernet. Fails on truncated records or another link type.
Result<std::vector<PcapPacket>> read_pcap(const std::string& path);

// Writes a pcap file (microsecond timestamps, link type Ethernet).
Status write_pcap(const std::string& path, const std::vector<PcapPacket>& packets);

}  // namespace tc2xdp::runtime
