// The client side: a datapath command goes to the daemon when one listens on the socket, and
// runs in this process otherwise, with the same output and exit status either way.
#pragma once

#include <optional>
#include <string>

#include "commands.h"
#include "rules_input.h"

namespace tc2xdp::cli {

// Runs `command args` in the daemon at daemon_socket_path(). nullopt: run it in this process
// instead (no daemon, another network namespace, an input this process cannot read); what was
// read ahead (stdin included) is left in `inputs` for that.
std::optional<int> run_through_daemon(const std::string& command, const Args& args,
                                      InputTexts& inputs);

}  // namespace tc2xdp::cli
