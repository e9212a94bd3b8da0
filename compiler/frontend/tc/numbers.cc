#include "numbers.h"

#include <arpa/inet.h>
#include <strings.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc {

namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

bool has_hex_prefix(std::string_view s) {
  return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

struct EtherName {
  const char* name;
  uint16_t type;
};
// iproute2's ll_proto names that tc2xdp users meet; the first name of a type is what we print.
constexpr EtherName kEtherNames[] = {
    {"ip", 0x0800},       {"ipv6", 0x86dd},    {"arp", 0x0806},     {"rarp", 0x8035},
    {"802.1q", 0x8100},   {"802.1ad", 0x88a8}, {"mpls_uc", 0x8847}, {"mpls_mc", 0x8848},
    {"all", 0x0003},      {"ipv4", 0x0800},    {"lldp", 0x88cc},    {"ppp_ses", 0x8864},
    {"ppp_disc", 0x8863}, {"teb", 0x6558},     {"cfm", 0x8902},     {"loop", 0x0060},
    {"x25", 0x0805},      {"ipx", 0x8137},     {"atalk", 0x809b},   {"aarp", 0x80f3},
    {"802_3", 0x0001},    {"ax25", 0x0002},    {"802_2", 0x0004},   {"snap", 0x0005},
    {"can", 0x000c},      {"tipc", 0x88ca},    {"aoe", 0x88a2},     {"profinet", 0x8892},
    {"ethercat", 0x88a4}, {"dec", 0x6000},
};

}  // namespace

std::optional<uint64_t> parse_unsigned(std::string_view s, int base, uint64_t max) {
  if (base == 0) {
    if (has_hex_prefix(s)) {
      base = 16;
      s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
      base = 8;
      s.remove_prefix(1);
    } else {
      base = 10;
    }
  } else if (base == 16 && has_hex_prefix(s)) {
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    const int d = digit_value(c);
    if (d >= base) return std::nullopt;
    if (static_cast<uint64_t>(d) > max || v > (max - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

Slash split_slash(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return {s, {}, false};
  return {s.substr(0, slash), s.substr(slash + 1), true};
}

std::optional<Mac> parse_mac(std::string_view s) {
  Mac mac{};
  size_t i = 0;
  for (;; ++i) {
    if (i >= mac.size()) return std::nullopt;
    const size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    if (part.size() > 2 && has_hex_prefix(part)) part.remove_prefix(2);
    auto byte = parse_unsigned(part, 16, 0xff);
    if (!byte) return std::nullopt;
    mac[i] = static_cast<uint8_t>(*byte);
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
  }
  // tc leaves the missing bytes of a short address undefined; require all six.
  if (i != mac.size() - 1) return std::nullopt;
  return mac;
}

std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s) {
  std::array<uint8_t, 4> a{};
  for (int i = 0; i < 4; ++i) {
    const size_t dot = s.find('.');
    auto part = parse_unsigned(s.substr(0, dot), 0, 255);
    if (!part) return std::nullopt;
    a[i] = static_cast<uint8_t>(*part);
    if (dot == std::string_view::npos) return a;
    if (i == 3) return std::nullopt;
    s.remove_prefix(dot + 1);
  }
  return a;
}

std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view s) {
  std::array<uint8_t, 16> a{};
  const std::string str(s);
  if (inet_pton(AF_INET6, str.c_str(), a.data()) != 1) return std::nullopt;
  return a;
}

int prefix_length(const uint8_t* mask, size_t n) {
  int bits = 0;
  bool hole = false;
  for (size_t i = 0; i < n; ++i) {
    for (int b = 7; b >= 0; --b) {
      if (mask[i] >> b & 1) {
        if (hole) return -1;
        ++bits;
      } else {
        hole = true;
      }
    }
  }
  return bits;
}

void prefix_mask(uint8_t* mask, size_t n, int bits) {
  for (size_t i = 0; i < n; ++i) {
    const int take = bits >= 8 ? 8 : (bits > 0 ? bits : 0);
    mask[i] = static_cast<uint8_t>(0xff00 >> take);
    bits -= take;
  }
}

std::optional<Prefix> parse_prefix(std::string_view s, int family) {
  const Slash parts = split_slash(s);
  Prefix p;
  p.ipv6 = parts.value.find(':') != std::string_view::npos;
  if ((family == 4 && p.ipv6) || (family == 6 && !p.ipv6)) return std::nullopt;
  if (p.ipv6) {
    auto a = parse_ipv6(parts.value);
    if (!a) return std::nullopt;
    p.addr = *a;
  } else {
    auto a = parse_ipv4(parts.value);
    if (!a) return std::nullopt;
    std::copy(a->begin(), a->end(), p.addr.begin());
  }
  const int max_bits = p.ipv6 ? 128 : 32;
  p.bits = max_bits;
  if (parts.has_mask) {
    if (auto len = parse_unsigned(parts.mask, 10, max_bits)) {
      p.bits = static_cast<int>(*len);
    } else if (auto dotted = parse_ipv4(parts.mask)) {  // get_netmask: contiguous dotted mask
      const int len = prefix_length(dotted->data(), 4);
      if (len < 0 || p.ipv6) return std::nullopt;
      p.bits = len;
    } else {
      return std::nullopt;
    }
  }
  return p;
}

std::optional<uint32_t> parse_classid(std::string_view s) {
  if (s == "root") return 0xffffffffu;
  if (s == "none") return 0u;
  const size_t colon = s.find(':');
  std::string_view maj = s.substr(0, colon);
  uint64_t major = 0;
  if (!maj.empty()) {
    auto v = parse_unsigned(maj, 16, colon == std::string_view::npos ? 0xffffffffu : 0xffff);
    if (!v) return std::nullopt;
    major = *v;
  } else if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  if (colon == std::string_view::npos) return static_cast<uint32_t>(major);
  std::string_view min = s.substr(colon + 1);
  uint64_t minor = 0;
  if (!min.empty()) {  // strtoul of "" leaves minor 0, as "1:" means 1:0
    auto v = parse_unsigned(min, 16, 0xffff);
    if (!v) return std::nullopt;
    minor = *v;
  }
  return static_cast<uint32_t>(major << 16 | minor);
}

std::string format_classid(uint32_t h) {
  if (h == 0xffffffffu) return "root";
  char buf[32];
  snprintf(buf, sizeof buf, "%x:%x", h >> 16, h & 0xffff);
  return buf;
}

std::optional<uint16_t> parse_ethertype(std::string_view s) {
  for (const auto& e : kEtherNames)
    if (s.size() == std::char_traits<char>::length(e.name) &&
        strncasecmp(e.name, s.data(), s.size()) == 0)
      return e.type;
  auto v = parse_unsigned(s, 0, 0xffff);
  if (!v) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::string ethertype_name(uint16_t host_order) {
  for (const auto& e : kEtherNames)
    if (e.type == host_order) return e.name;
  char buf[16];
  snprintf(buf, sizeof buf, "0x%04x", host_order);
  return buf;
}

namespace {

// strtod and a unit suffix looked up case-insensitively; nullopt for negatives or junk.
std::optional<uint64_t> scaled(std::string_view s, const std::pair<const char*, double>* units,
                               size_t n_units, double divide) {
  const std::string str(s);
  if (str.empty() || str[0] == '-' || str[0] == '+' || str[0] == ' ') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(str.c_str(), &end);
  if (end == str.c_str() || errno == ERANGE || v < 0) return std::nullopt;
  if (*end) {
    bool found = false;
    for (size_t i = 0; i < n_units; ++i) {
      if (strcasecmp(end, units[i].first) == 0) {
        v *= units[i].second;
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  v /= divide;
  if (v >= 18446744073709551615.0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

}  // namespace

std::optional<uint64_t> parse_rate(std::string_view s) {
  static const std::pair<const char*, double> kUnits[] = {
      {"bit", 1.},
      {"kibit", 1024.},
      {"kbit", 1e3},
      {"mibit", 1048576.},
      {"mbit", 1e6},
      {"gibit", 1073741824.},
      {"gbit", 1e9},
      {"tibit", 1099511627776.},
      {"tbit", 1e12},
      {"bps", 8.},
      {"kibps", 8. * 1024},
      {"kbps", 8e3},
      {"mibps", 8. * 1048576},
      {"mbps", 8e6},
      {"gibps", 8. * 1073741824},
      {"gbps", 8e9},
      {"tibps", 8. * 1099511627776.},
      {"tbps", 8e12},
  };
  return scaled(s, kUnits, std::size(kUnits), 8.);
}

std::optional<uint64_t> parse_size(std::string_view s) {
  static const std::pair<const char*, double> kUnits[] = {
      {"kb", 1024.},        {"k", 1024.},     {"gb", 1073741824.}, {"g", 1073741824.},
      {"gbit", 134217728.}, {"mb", 1048576.}, {"m", 1048576.},     {"mbit", 131072.},
      {"kbit", 128.},       {"b", 1.},
  };
  auto v = scaled(s, kUnits, std::size(kUnits), 1.);
  return v;
}

std::string format_rate(uint64_t bytes_per_sec) {
  const uint64_t bits = bytes_per_sec * 8;
  if (bits && bits % 1000000000 == 0) return std::to_string(bits / 1000000000) + "gbit";
  if (bits && bits % 1000000 == 0) return std::to_string(bits / 1000000) + "mbit";
  if (bits && bits % 1000 == 0) return std::to_string(bits / 1000) + "kbit";
  return std::to_string(bits) + "bit";
}

std::string format_size(uint64_t bytes) {
  if (bytes && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "m";
  if (bytes && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "k";
  return std::to_string(bytes) + "b";
}

std::string format_hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string format_mac(const uint8_t* b) {
  char buf[24];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

std::string format_ipv4(const uint8_t* b) {
  char buf[20];
  snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  return buf;
}

std::string format_ipv6(const uint8_t* b) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, b, buf, sizeof buf);
  return buf;
}

}  // namespace tc2xdp::frontend::tc
