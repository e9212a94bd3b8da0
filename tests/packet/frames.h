// Hand-built Ethernet frames for packet tests.
#pragma once

#include <cstdint>
#include <vector>

namespace tc2xdp::testing {

inline constexpr uint16_t kEthPIp = 0x0800;
inline constexpr uint16_t kEthPIpv6 = 0x86DD;
inline constexpr uint16_t kEthPArp = 0x0806;

// dst 02:00:00:00:00:02, src 02:00:00:00:00:01, `ethertype`, then zero payload up to `size`.
inline std::vector<uint8_t> ethernet_frame(uint16_t ethertype, size_t size = 64) {
  std::vector<uint8_t> frame(size < 14 ? 14 : size, 0);
  const uint8_t header[14] = {
      2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, uint8_t(ethertype >> 8), uint8_t(ethertype)};
  for (size_t i = 0; i < 14; ++i) frame[i] = header[i];
  return frame;
}

// Ethernet + a minimal IPv4 header (no options) to `dst` (host order), UDP protocol.
inline std::vector<uint8_t> ipv4_frame(uint32_t dst, size_t size = 64) {
  std::vector<uint8_t> frame = ethernet_frame(kEthPIp, size < 34 ? 34 : size);
  uint8_t* ip = frame.data() + 14;
  ip[0] = 0x45;
  ip[2] = 0;
  ip[3] = uint8_t(frame.size() - 14);
  ip[8] = 64;
  ip[9] = 17;
  ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
  for (int i = 0; i < 4; ++i) ip[16 + i] = uint8_t(dst >> (24 - 8 * i));
  return frame;
}

}  // namespace tc2xdp::testing
