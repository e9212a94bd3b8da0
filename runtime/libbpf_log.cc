#include "tc2xdp/runtime/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>

namespace tc2xdp::runtime {
namespace {

constexpr size_t kKeptWarnings = 64;

thread_local LibbpfLogCapture* active_capture = nullptr;

std::mutex& orphan_mutex() {
  static std::mutex m;
  return m;
}
std::deque<std::string>& orphan_warnings() {
  static std::deque<std::string> warnings;
  return warnings;
}

bool echo_to_stderr() {
  static const bool echo = [] {
    const char* value = std::getenv("TC2XDP_LIBBPF_DEBUG");
    return value != nullptr && value[0] != '\0' && value[0] != '0';
  }();
  return echo;
}

int print_callback(enum libbpf_print_level level, const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  const int length = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (length < 0) return 0;
  std::string message(static_cast<size_t>(length) + 1, '\0');
  std::vsnprintf(message.data(), message.size(), format, args);
  message.resize(static_cast<size_t>(length));
  if (echo_to_stderr()) std::fputs(message.c_str(), stderr);
  if (active_capture != nullptr) {
    active_capture->add(level, std::move(message));
  } else if (level == LIBBPF_WARN) {
    std::lock_guard lock(orphan_mutex());
    auto& kept = orphan_warnings();
    kept.push_back(std::move(message));
    if (kept.size() > kKeptWarnings) kept.pop_front();
  }
  return length;
}

}  // namespace

void install_libbpf_print() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(print_callback); });
}

LibbpfLogCapture::LibbpfLogCapture() : previous_(active_capture) {
  install_libbpf_print();
  active_capture = this;
}

LibbpfLogCapture::~LibbpfLogCapture() {
  active_capture = previous_;
}

void LibbpfLogCapture::add(int level, std::string message) {
  text_ += message;
  if (level == LIBBPF_WARN) warnings_.push_back(std::move(message));
}

std::vector<std::string> recent_libbpf_warnings() {
  std::lock_guard lock(orphan_mutex());
  return {orphan_warnings().begin(), orphan_warnings().end()};
}

}  // namespace tc2xdp::runtime
