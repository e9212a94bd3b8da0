// Input texts by path as given ("-" is stdin), read ahead of a command: what a client ships to
// the daemon with a request.
#pragma once

#include <map>
#include <string>

namespace tc2xdp::cli {

using InputTexts = std::map<std::string, std::string>;

}  // namespace tc2xdp::cli
