#include "tc2xdp/diagnostic.h"

#include <cstring>
#include <sstream>

namespace tc2xdp {

namespace {
const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kNote: return "note";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "error";
}
}  // namespace

std::string format_diagnostic(const Diagnostic& d) {
  std::ostringstream out;
  const auto& loc = d.location;
  out << (loc.file.empty() ? "<input>" : loc.file);
  if (loc.line > 0) {
    out << ':' << loc.line;
    if (loc.column > 0) out << ':' << loc.column;
  }
  out << ": " << severity_name(d.severity) << ": " << d.message;
  if (!d.token.empty()) out << "\n  near '" << d.token << "'";
  if (!d.hint.empty()) out << "\n  hint: " << d.hint;
  return out.str();
}

void Diagnostics::error(SourceLocation loc, std::string message, std::string token,
                        std::string hint) {
  items_.push_back(
      {Severity::kError, std::move(loc), std::move(message), std::move(token), std::move(hint)});
}

void Diagnostics::warning(SourceLocation loc, std::string message, std::string token,
                          std::string hint) {
  items_.push_back(
      {Severity::kWarning, std::move(loc), std::move(message), std::move(token), std::move(hint)});
}

void Diagnostics::note(SourceLocation loc, std::string message) {
  items_.push_back({Severity::kNote, std::move(loc), std::move(message), {}, {}});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

size_t Diagnostics::error_count() const {
  size_t n = 0;
  for (const auto& d : items_) n += d.severity == Severity::kError;
  return n;
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& d : items_) {
    out += format_diagnostic(d);
    out += '\n';
  }
  return out;
}

std::string Error::to_string() const {
  std::string out = operation + " failed";
  if (errno_value != 0) out += std::string(": ") + std::strerror(errno_value);
  if (!detail.empty()) out += "\n" + detail;
  return out;
}

}  // namespace tc2xdp
