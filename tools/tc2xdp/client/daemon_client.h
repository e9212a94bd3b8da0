// The client side: a datapath command goes to the daemon when one listens on the socket, and
// runs in-process otherwise, with the same output and exit status either way.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "input_texts.h"

namespace tc2xdp::cli {

// Runs `command args` in the daemon at daemon_socket_path(). nullopt: run it in-process instead
// (no daemon, another network namespace, an input the client cannot read); what was read ahead
// (stdin included) is left in `inputs` for that.
std::optional<int> run_through_daemon(const std::string& command,
                                      const std::vector<std::string>& args, InputTexts& inputs);

}  // namespace tc2xdp::cli
