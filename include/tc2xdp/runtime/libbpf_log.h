// libbpf reports through one process-wide print callback. tc2xdp installs its own, so libbpf's
// messages are captured (and end up in tc2xdp::Error details) instead of going to stderr.
#pragma once

#include <string>
#include <vector>

namespace tc2xdp::runtime {

// Installs tc2xdp's libbpf print callback. Idempotent and thread-safe; every runtime entry
// point calls it. Without an active capture, warnings are kept (see recent_libbpf_warnings)
// and debug chatter is dropped; TC2XDP_LIBBPF_DEBUG=1 in the environment echoes all to stderr.
void install_libbpf_print();

// While alive, collects every libbpf message printed on this thread (nests; innermost wins).
class LibbpfLogCapture {
 public:
  LibbpfLogCapture();
  ~LibbpfLogCapture();
  LibbpfLogCapture(const LibbpfLogCapture&) = delete;
  LibbpfLogCapture& operator=(const LibbpfLogCapture&) = delete;

  // Messages at warning level, as printed (ending in '\n').
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Everything, debug included.
  const std::string& text() const { return text_; }

  void add(int level, std::string message);  // used by the callback

 private:
  LibbpfLogCapture* previous_;
  std::vector<std::string> warnings_;
  std::string text_;
};

// The last warnings libbpf printed while no capture was active (bounded, oldest first).
std::vector<std::string> recent_libbpf_warnings();

}  // namespace tc2xdp::runtime
