// The tc command-syntax front end: `tc filter add dev DEV ingress ... flower ...` lines and tc
// batch files, parsed exactly as iproute2 accepts them, and a canonical printer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/rule.h"

namespace tc2xdp::frontend::tc {

// Parses a batch: one command a line, `#` comments, blank lines and `\` continuations. A leading
// `tc` is optional. Every error is reported (file:line:col, token, hint); on any error the returned
// list must not be used.
std::vector<ir::Command> parse_batch(std::string_view text, std::string_view file_name,
                                     Diagnostics& diags);

// Parses one command given as argv-style words (the CLI's `tc2xdp filter add ...`).
std::vector<ir::Command> parse_words(const std::vector<std::string>& words, std::string_view origin,
                                     Diagnostics& diags);

// Parses and applies a batch to an empty rule set; nothing is applied if anything is wrong.
bool load_rules(std::string_view text, std::string_view file_name, ir::RuleSet& out,
                Diagnostics& diags);

// The canonical command for a rule: `filter add dev D ingress chain C pref P handle 0xH protocol X
// flower ... action ...`. Parsing the output yields an equal rule.
std::string print_rule(const ir::Rule& rule);
std::string print_match(const ir::Rule& rule);  // the flower keys only
std::string print_actions(const std::vector<ir::Action>& actions);
std::string print_rule_set(const ir::RuleSet& rules);  // one line per rule

// Ethertype names as tc knows them ("ip", "ipv6", "802.1q", "802.1ad", "arp", "mpls_uc", ...).
std::string ethertype_name(uint16_t host_order);

}  // namespace tc2xdp::frontend::tc
