// Helpers shared by the tc front-end tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tc2xdp/frontend/tc.h"

namespace tc2xdp::frontend::tc::testing {

// Parses one line that must be valid; fails the test otherwise.
inline ir::Rule parse_ok(const std::string& line) {
  Diagnostics d;
  auto cmds = parse_batch(line, "t.tc", d);
  EXPECT_FALSE(d.has_errors()) << line << "\n" << d.to_string();
  EXPECT_EQ(cmds.size(), 1u) << line;
  return cmds.empty() ? ir::Rule{} : cmds.front().rule;
}

// Parses text that must be rejected and returns the first error.
inline Diagnostic parse_error(const std::string& text) {
  Diagnostics d;
  parse_batch(text, "t.tc", d);
  EXPECT_TRUE(d.has_errors()) << text;
  for (const auto& item : d.items())
    if (item.severity == Severity::kError) return item;
  return {};
}

}  // namespace tc2xdp::frontend::tc::testing
