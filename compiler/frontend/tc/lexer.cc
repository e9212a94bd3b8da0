#include "lexer.h"

namespace tc2xdp::frontend::tc {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A logical line: its characters and, for each, where it was in the file.
struct LogicalLine {
  std::string chars;
  std::vector<SourceLocation> where;
  SourceLocation end;
};

}  // namespace

std::vector<CommandLine> split_batch(std::string_view text, std::string_view file_name,
                                     Diagnostics& diags) {
  const std::string file(file_name);
  std::vector<CommandLine> out;
  LogicalLine logical;
  bool continuing = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size() || continuing) {
    if (pos >= text.size()) {  // "\" on the last line: tc reports a missing continuation line
      diags.error(logical.end, "missing continuation line", "\\",
                  "remove the trailing '\\' or add the line it continues to");
      break;
    }
    ++line_no;
    size_t eol = text.find('\n', pos);
    std::string_view physical =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    // tc cuts a line at its first '#', even inside a word; the newline goes with it, so a
    // commented line never continues.
    const size_t hash = physical.find('#');
    bool has_newline = eol != std::string_view::npos && hash == std::string_view::npos;
    if (hash != std::string_view::npos) physical = physical.substr(0, hash);
    continuing = has_newline && !physical.empty() && physical.back() == '\\';
    if (continuing) physical.remove_suffix(1);
    for (size_t i = 0; i < physical.size(); ++i) {
      logical.chars.push_back(physical[i]);
      logical.where.push_back({file, line_no, static_cast<int>(i) + 1});
    }
    logical.end = {file, line_no, static_cast<int>(physical.size()) + 1};
    if (continuing) continue;

    CommandLine cmd;
    cmd.end = logical.end;
    const std::string& s = logical.chars;
    size_t i = 0;
    bool ok = true;
    while (i < s.size()) {
      while (i < s.size() && is_space(s[i])) ++i;
      if (i >= s.size()) break;
      Token tok;
      tok.loc = logical.where[i];
      if (s[i] == '\'' || s[i] == '"') {
        const char quote = s[i];
        const size_t close = s.find(quote, i + 1);
        if (close == std::string::npos) {
          diags.error(tok.loc, "unterminated quoted string", s.substr(i),
                      std::string("close the string with ") + quote);
          ok = false;
          break;
        }
        tok.text = s.substr(i + 1, close - i - 1);
        i = close + 1;
      } else {
        const size_t start = i;
        while (i < s.size() && !is_space(s[i])) ++i;
        tok.text = s.substr(start, i - start);
      }
      cmd.tokens.push_back(std::move(tok));
    }
    if (ok && !cmd.tokens.empty()) out.push_back(std::move(cmd));
    logical = LogicalLine{};
  }
  return out;
}

CommandLine split_words(const std::vector<std::string>& words, std::string_view origin) {
  CommandLine cmd;
  const std::string file(origin);
  int column = 1;
  for (const auto& w : words) {
    cmd.tokens.push_back({w, {file, 1, column}});
    column += static_cast<int>(w.size()) + 1;
  }
  cmd.end = {file, 1, column > 1 ? column - 1 : 1};
  return cmd;
}

}  // namespace tc2xdp::frontend::tc
