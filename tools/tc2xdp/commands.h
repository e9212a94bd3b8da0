// The tc2xdp subcommands. Each takes the words after its name and returns the exit status.
#pragma once

#include <string>
#include <vector>

namespace tc2xdp::cli {

using Args = std::vector<std::string>;
using Handler = int (*)(const Args&);

int run_check(const Args& args);
int run_fmt(const Args& args);
int run_compile(const Args& args);
int run_attach(const Args& args);
int run_apply(const Args& args);
int run_detach(const Args& args);
int run_filter(const Args& args);
int run_show(const Args& args);
int run_status(const Args& args);
int run_trace(const Args& args);
int run_batch(const Args& args);
int run_daemon(const Args& args);

// The commands a daemon runs for its clients (filter, apply, -batch, show, status); nullptr for
// the others.
Handler daemon_command(const std::string& name);

}  // namespace tc2xdp::cli
