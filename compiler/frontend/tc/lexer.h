// Splits tc batch text (or argv words) into commands of located tokens, the way tc -batch does:
// a '#' ends the physical line, "\" before the newline joins the next one, quotes group words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "token_stream.h"

namespace tc2xdp::frontend::tc {

// Blank and comment-only lines yield no command. Lexical errors (an unterminated quote, a
// continuation at end of input) go to `diags`.
std::vector<CommandLine> split_batch(std::string_view text, std::string_view file_name,
                                     Diagnostics& diags);

// Words as given on a command line; columns are offsets into the words joined by spaces.
CommandLine split_words(const std::vector<std::string>& words, std::string_view origin);

}  // namespace tc2xdp::frontend::tc
