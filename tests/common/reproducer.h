// A failing differential case as text to paste: the rules file and the frame in hex.
//
//   ADD_FAILURE() << gen::reproducer(set.text, frame.bytes, frame.ifindex, frame.note);
//
// To replay: save the rules part as rules.tc and the one-line hex as pkt.hex, then
// `xxd -r -p pkt.hex > pkt.bin` gives the frame (e.g. for `bpftool prog run ... data_in pkt.bin`).
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "common/packet_gen.h"
#include "common/rule_gen.h"

namespace tc2xdp::testing::gen {

// All bytes as one hex string, no separators.
inline std::string hex_string(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) s += kDigits[b >> 4], s += kDigits[b & 15];
  return s;
}

// 16 bytes a line with offsets, like `xxd -g1` without the ASCII column.
inline std::string hex_dump(std::span<const uint8_t> bytes) {
  std::string s;
  char buf[24];
  for (size_t i = 0; i < bytes.size(); i += 16) {
    snprintf(buf, sizeof buf, "%04zx:", i);
    s += buf;
    for (size_t k = i; k < i + 16 && k < bytes.size(); ++k) {
      snprintf(buf, sizeof buf, " %02x", bytes[k]);
      s += buf;
    }
    s += '\n';
  }
  return s;
}

inline std::string reproducer(std::string_view rules_text, std::span<const uint8_t> frame,
                              uint32_t ifindex, std::string_view note = {}) {
  std::string s = "----- rules.tc -----\n";
  s += rules_text;
  if (!rules_text.empty() && rules_text.back() != '\n') s += '\n';
  s += "----- frame: ingress ifindex " + std::to_string(ifindex) + ", " +
       std::to_string(frame.size()) + " bytes";
  if (!note.empty()) s += " (" + std::string(note) + ")";
  s += " -----\n" + hex_dump(frame);
  s += "----- frame hex -----\n" + hex_string(frame) + "\n";
  return s;
}

// The same, headed by how to regenerate it.
inline std::string reproducer(const GenRuleSet& set, const GenFrame& frame) {
  std::string head = "generator: seed " + std::to_string(set.seed) + ", profile " +
                     profile_name(set.profile) + ", frame kind " + frame_kind_name(frame.kind);
  if (frame.rule) head += ", rule at line " + std::to_string(set.rules[*frame.rule].line_no);
  return head + "\n" + reproducer(set.text, frame.bytes, frame.ifindex, frame.note);
}

}  // namespace tc2xdp::testing::gen
