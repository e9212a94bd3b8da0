// The daemon's wire protocol: one request and one response per connection on a unix stream
// socket, each a frame
//
//   "T2XD" | u8 version (1) | u8 kind (1 request, 2 response) | u16 0 | u32 length | payload
//
// with integers little-endian, strings as u32 length + bytes, lists as u32 count + items:
//
//   request:  string netns ("dev:inode" of the client's /proc/self/ns/net)
//             list<string> argv (the command's name first: "filter", "-batch", ...)
//             list<{string path, string text}> inputs (files and stdin the command reads)
//   response: u8 disposition (0 done, 1 run it in your own process) | i32 exit status
//             list<{u8 stream (1 stdout, 2 stderr), string text}> output, in the order written
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "input_texts.h"
#include "tc2xdp/diagnostic.h"

namespace tc2xdp::cli {

inline constexpr const char* kDefaultDaemonSocket = "/run/tc2xdp/daemon.sock";
inline constexpr uint32_t kMaxDaemonFrame = 256u << 20;  // a 100k-rule batch is ~10 MB

// TC2XDP_SOCKET if set, else the default.
std::string daemon_socket_path();
// TC2XDP_NO_DAEMON=1 (any value but empty or "0"): every command runs in-process.
bool daemon_disabled();
// The commands a daemon runs for its clients: filter, apply, -batch, show, status (the daemon's
// daemon_command maps them to their handlers).
bool daemon_serves(const std::string& command);
// "dev:inode" of this process's network namespace: device names mean something only in one.
std::string netns_identity();

struct DaemonRequest {
  std::string netns;
  std::vector<std::string> argv;
  InputTexts inputs;
};

enum class Disposition : uint8_t { kDone = 0, kRunLocally = 1 };
enum class OutputStream : uint8_t { kStdout = 1, kStderr = 2 };

struct OutputChunk {
  OutputStream stream = OutputStream::kStdout;
  std::string text;
};

struct DaemonResponse {
  Disposition disposition = Disposition::kDone;
  int32_t status = 0;
  std::vector<OutputChunk> output;
};

std::string encode(const DaemonRequest& request);
std::string encode(const DaemonResponse& response);
// False if the payload is malformed.
bool decode(std::string_view payload, DaemonRequest& request);
bool decode(std::string_view payload, DaemonResponse& response);

enum class FrameKind : uint8_t { kRequest = 1, kResponse = 2 };
Status write_frame(int fd, FrameKind kind, const std::string& payload);
// The payload of the next frame, which must be of `kind`.
Result<std::string> read_frame(int fd, FrameKind kind);

}  // namespace tc2xdp::cli
