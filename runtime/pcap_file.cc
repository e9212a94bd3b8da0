#include "tc2xdp/runtime/pcap_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace tc2xdp::runtime {

namespace {

constexpr uint32_t kMagicMicros = 0xa1b2c3d4;
constexpr uint32_t kMagicNanos = 0xa1b23c4d;
constexpr uint32_t kLinkTypeEthernet = 1;
constexpr uint32_t kMaxSnapLen = 262144;

uint32_t bswap32(uint32_t v) {
  return __builtin_bswap32(v);
}

Error format_error(const std::string& path, const std::string& what) {
  return Error{"read_pcap", 0, path + ": " + what};
}

}  // namespace

Result<std::vector<PcapPacket>> read_pcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"open " + path, errno, "check the path and permissions"};
  uint32_t header[6];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header))
    return format_error(path, "too short for a pcap header");
  bool swapped = false, nanos = false;
  switch (header[0]) {
    case kMagicMicros: break;
    case kMagicNanos: nanos = true; break;
    default:
      if (bswap32(header[0]) == kMagicMicros) {
        swapped = true;
      } else if (bswap32(header[0]) == kMagicNanos) {
        swapped = nanos = true;
      } else {
        return format_error(path,
                            "not a pcap file (pcapng is not supported; convert with "
                            "'editcap -F pcap')");
      }
  }
  const auto host = [swapped](uint32_t v) { return swapped ? bswap32(v) : v; };
  if ((host(header[5]) & 0x0fffffff) != kLinkTypeEthernet)
    return format_error(path, "link type " + std::to_string(host(header[5])) + " is not Ethernet");
  std::vector<PcapPacket> packets;
  uint32_t record[4];
  while (in.read(reinterpret_cast<char*>(record), sizeof record)) {
    const uint32_t caplen = host(record[2]);
    if (caplen > kMaxSnapLen)
      return format_error(path, "record " + std::to_string(packets.size() + 1) + " claims " +
                                    std::to_string(caplen) + " bytes");
    PcapPacket p;
    p.timestamp_ns =
        uint64_t{host(record[0])} * 1000000000ull + uint64_t{host(record[1])} * (nanos ? 1 : 1000);
    p.original_length = host(record[3]);
    p.data.resize(caplen);
    if (!in.read(reinterpret_cast<char*>(p.data.data()), caplen))
      return format_error(path, "record " + std::to_string(packets.size() + 1) + " is truncated");
    packets.push_back(std::move(p));
  }
  if (in.gcount() != 0) return format_error(path, "trailing bytes after the last record");
  return packets;
}

Status write_pcap(const std::string& path, const std::vector<PcapPacket>& packets) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error{"open " + path, errno, "check the path and permissions"};
  const uint32_t header[6] = {kMagicMicros,     0x00040002 /* version 2.4 */, 0, 0, kMaxSnapLen,
                              kLinkTypeEthernet};
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  for (const auto& p : packets) {
    const uint32_t record[4] = {
        static_cast<uint32_t>(p.timestamp_ns / 1000000000ull),
        static_cast<uint32_t>(p.timestamp_ns % 1000000000ull / 1000),
        static_cast<uint32_t>(p.data.size()),
        p.original_length ? p.original_length : static_cast<uint32_t>(p.data.size())};
    out.write(reinterpret_cast<const char*>(record), sizeof record);
    out.write(reinterpret_cast<const char*>(p.data.data()), p.data.size());
  }
  if (!out.flush()) return Error{"write " + path, errno, ""};
  return Ok{};
}

}  // namespace tc2xdp::runtime
