// Numbers, addresses, ethertypes, rates and sizes as iproute2 reads and tc2xdp prints them.
// Parsers return nullopt on malformed or out-of-range input; callers add the located error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tc2xdp::frontend::tc {

// strtoul semantics without signs or whitespace: base 0 takes 0x.. as hex and 0.. as octal, base
// 16 takes an optional 0x. The whole text must be consumed and the value must be <= max.
std::optional<uint64_t> parse_unsigned(std::string_view s, int base, uint64_t max);

// Splits "a/b" at the first '/'; `has_mask` says whether a '/' was there.
struct Slash {
  std::string_view value;
  std::string_view mask;
  bool has_mask = false;
};
Slash split_slash(std::string_view s);

using Mac = std::array<uint8_t, 6>;
// ll_addr_a2n: up to six ':'-separated hex bytes; fewer fill the leading bytes.
std::optional<Mac> parse_mac(std::string_view s);

// IPv4 dotted quad as iproute2 reads it (each part strtoul base 0, fewer than four parts allowed).
std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s);
std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view s);

struct Prefix {
  bool ipv6 = false;
  std::array<uint8_t, 16> addr{};  // v4 in the first 4 bytes
  int bits = 0;                    // prefix length
};
// ADDR[/LEN] (v4 also ADDR/DOTTED-MASK when contiguous). family: 0 any, 4 or 6.
std::optional<Prefix> parse_prefix(std::string_view s, int family);

// get_tc_classid: "root", "none", MAJ:MIN or MAJ (hex).
std::optional<uint32_t> parse_classid(std::string_view s);
std::string format_classid(uint32_t h);

// ll_proto_a2n: a name (case-insensitive) or a number (base 0). Host order.
std::optional<uint16_t> parse_ethertype(std::string_view s);

// get_rate64: bits per second with optional units, returned as bytes per second.
std::optional<uint64_t> parse_rate(std::string_view s);
// get_size64: bytes with optional k/m/g/kb/mb/gb/kbit/mbit/gbit/b units.
std::optional<uint64_t> parse_size(std::string_view s);
std::string format_rate(uint64_t bytes_per_sec);
std::string format_size(uint64_t bytes);

std::string format_hex(uint64_t v);  // "0x1f"
std::string format_mac(const uint8_t* bytes);
std::string format_ipv4(const uint8_t* bytes);
std::string format_ipv6(const uint8_t* bytes);

// Length of a contiguous leading-ones mask over n bytes, or -1 when it has holes.
int prefix_length(const uint8_t* mask, size_t n);
// Fills n bytes with a mask of `bits` leading ones.
void prefix_mask(uint8_t* mask, size_t n, int bits);

}  // namespace tc2xdp::frontend::tc
