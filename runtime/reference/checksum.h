// Checksum arithmetic for the csum action: the Internet checksum (RFC 1071) and SCTP's CRC32c.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tc2xdp::reference::detail {

// Adds bytes to a one's complement running sum (not folded); `odd` bytes pad with zero.
uint32_t csum_add_bytes(uint32_t sum, const uint8_t* p, size_t n);
// Folds and complements: the value stored in a checksum field (network order, host integer).
uint16_t csum_fold(uint32_t sum);
// CRC32c (Castagnoli) as SCTP stores it: ~crc over the bytes.
uint32_t crc32c(const uint8_t* p, size_t n);

}  // namespace tc2xdp::reference::detail
