// Diagnostics for rule problems and Result<T> for system problems.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tc2xdp {

// Where a rule (or one token of it) came from. line/column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;  // "<stdin>", "<cmdline>", a path, "netlink", "ovs:<ufid>"
  int line = 0;
  int column = 0;
  bool operator==(const SourceLocation&) const = default;
};

enum class Severity { kNote, kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;
  std::string token;  // the offending token, empty if none
  std::string hint;   // how to fix it, empty if none
};

// "file:line:col: error: message" plus "  near 'token'" and "  hint: ..." lines.
std::string format_diagnostic(const Diagnostic& d);

// Collects diagnostics; a phase fails if any error was reported.
class Diagnostics {
 public:
  void error(SourceLocation loc, std::string message, std::string token = {},
             std::string hint = {});
  void warning(SourceLocation loc, std::string message, std::string token = {},
               std::string hint = {});
  void note(SourceLocation loc, std::string message);
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const Diagnostics& other);

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::string to_string() const;  // every item, one formatted block each

 private:
  std::vector<Diagnostic> items_;
};

// A system-level failure: which operation failed and the errno it failed with.
struct Error {
  std::string operation;  // e.g. "bpf_object__load"
  int errno_value = 0;    // positive errno, 0 if not applicable
  std::string detail;     // human text: what to do, verifier log excerpt, ...
  std::string to_string() const;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }
  T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace tc2xdp
