// Tokens with their source locations, and the cursor the tc parsers walk them with.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tc2xdp/diagnostic.h"

namespace tc2xdp::frontend::tc {

struct Token {
  std::string text;
  SourceLocation loc;  // of the token's first character
};

// One command: the words of a logical line (continuations joined, comments dropped).
struct CommandLine {
  std::vector<Token> tokens;
  SourceLocation end;  // just past the last token, for "missing argument" errors
};

// A located error; parsers throw it and the command parser turns it into a Diagnostic.
struct ParseError : std::runtime_error {
  ParseError(SourceLocation where, std::string message, std::string offending, std::string how)
      : std::runtime_error(message),
        loc(std::move(where)),
        token(std::move(offending)),
        hint(std::move(how)) {}
  SourceLocation loc;
  std::string token;
  std::string hint;
};

// iproute2's matches(): `word` is a non-empty prefix of `keyword`, so abbreviations work.
inline bool matches(std::string_view word, std::string_view keyword) {
  return !word.empty() && keyword.substr(0, word.size()) == word;
}

class TokenStream {
 public:
  explicit TokenStream(const CommandLine& line) : line_(line) {}

  bool at_end() const { return pos_ >= line_.tokens.size(); }
  size_t position() const { return pos_; }
  // The current token; only valid when !at_end().
  const Token& peek() const { return line_.tokens[pos_]; }
  bool peek_is(std::string_view keyword) const { return !at_end() && peek().text == keyword; }
  bool peek_matches(std::string_view keyword) const {
    return !at_end() && matches(peek().text, keyword);
  }
  const Token& next() { return line_.tokens[pos_++]; }

  // The argument of `key` (iproute2's NEXT_ARG): fails with "missing argument" at the line end.
  const Token& argument(const Token& key, std::string_view what) {
    if (at_end())
      fail_at(line_.end, "missing " + std::string(what) + " after '" + key.text + "'", key.text,
              "write '" + key.text + " " + std::string(what) + "'");
    return next();
  }

  [[noreturn]] void fail(const Token& at, std::string message, std::string hint) const {
    throw ParseError(at.loc, std::move(message), at.text, std::move(hint));
  }
  [[noreturn]] void fail_at(const SourceLocation& loc, std::string message, std::string token,
                            std::string hint) const {
    throw ParseError(loc, std::move(message), std::move(token), std::move(hint));
  }
  const SourceLocation& end_location() const { return line_.end; }

 private:
  const CommandLine& line_;
  size_t pos_ = 0;
};

}  // namespace tc2xdp::frontend::tc
