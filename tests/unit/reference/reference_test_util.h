// Helpers for the reference interpreter's tests: rule sets from tc text, a device table, runs.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/frame_builder.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::reference::testing {

using tc2xdp::testing::FrameBuilder;

// eth0..eth3 are ifindexes 1..4; anything else is unknown.
inline std::optional<uint32_t> devices(const std::string& name) {
  if (name.size() == 4 && name.rfind("eth", 0) == 0 && name[3] >= '0' && name[3] <= '3')
    return static_cast<uint32_t>(name[3] - '0' + 1);
  return std::nullopt;
}

inline Options options() {
  Options o;
  o.resolve_device = devices;
  return o;
}

// Lines without "filter add dev ..." get "filter add dev eth0 ingress " prepended.
inline ir::RuleSet rules_from(const std::string& text) {
  std::string batch;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.rfind("filter", 0) != 0) line = "filter add dev eth0 ingress " + line;
    batch += line + "\n";
    pos = end + 1;
  }
  ir::RuleSet rules;
  Diagnostics d;
  EXPECT_TRUE(frontend::tc::load_rules(batch, "test.tc", rules, d)) << d.to_string() << batch;
  return rules;
}

inline Outcome run(const ir::RuleSet& rules, const std::vector<uint8_t>& frame,
                   const Options& o = options(), uint32_t ifindex = 1) {
  return classify(rules, frame, ifindex, o);
}

// The pref of the rule that ended classification, or 0 on a miss.
inline uint32_t decided_pref(const Outcome& out) {
  return out.matched ? out.matched->pref : 0;
}

}  // namespace tc2xdp::reference::testing
