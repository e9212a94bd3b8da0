// One tc command line (`[tc] filter add|replace|change|del ... flower ...`) into an ir::Command.
#pragma once

#include <optional>

#include "tc2xdp/ir/rule.h"
#include "token_stream.h"

namespace tc2xdp::frontend::tc {

// nullopt for lines that set up what filters attach to (`qdisc add dev X clsact`), which tc2xdp
// accepts and ignores. Throws ParseError.
std::optional<ir::Command> parse_command(const CommandLine& line);

}  // namespace tc2xdp::frontend::tc
