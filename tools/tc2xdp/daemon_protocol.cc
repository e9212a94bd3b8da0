#include "daemon_protocol.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tc2xdp::cli {

namespace {

constexpr char kMagic[4] = {'T', '2', 'X', 'D'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderSize = 12;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads from a payload; every getter fails (and stays failed) past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u8(uint8_t& v) {
    if (data_.size() < 1) return fail();
    v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool u32(uint32_t& v) {
    if (data_.size() < 4) return fail();
    v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<uint8_t>(data_[i])) << (8 * i);
    data_.remove_prefix(4);
    return true;
  }
  bool string(std::string& s) {
    uint32_t n = 0;
    if (!u32(n) || data_.size() < n) return fail();
    s.assign(data_.substr(0, n));
    data_.remove_prefix(n);
    return true;
  }
  bool done() const { return ok_ && data_.empty(); }

 private:
  bool fail() { return ok_ = false; }
  std::string_view data_;
  bool ok_ = true;
};

Status write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{"send to the daemon socket", n < 0 ? errno : EPIPE, ""};
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok{};
}

Status read_all(int fd, char* data, size_t size) {
  const size_t wanted = size;
  while (size > 0) {
    const ssize_t n = recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{"receive on the daemon socket", errno, ""};
    if (n == 0 && size == wanted)
      return Error{"receive on the daemon socket", ENODATA, "the peer sent nothing"};
    if (n == 0) return Error{"receive on the daemon socket", ECONNRESET, "the peer hung up"};
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

std::string daemon_socket_path() {
  const char* path = std::getenv("TC2XDP_SOCKET");
  return path && *path ? path : kDefaultDaemonSocket;
}

bool daemon_disabled() {
  const char* value = std::getenv("TC2XDP_NO_DAEMON");
  return value && *value && std::strcmp(value, "0") != 0;
}

bool daemon_serves(const std::string& command) {
  return command == "filter" || command == "apply" || command == "-batch" || command == "show" ||
         command == "status";
}

std::string netns_identity() {
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) != 0) return "?";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string encode(const DaemonRequest& request) {
  std::string out;
  put_string(out, request.netns);
  put_u32(out, static_cast<uint32_t>(request.argv.size()));
  for (const auto& word : request.argv) put_string(out, word);
  put_u32(out, static_cast<uint32_t>(request.inputs.size()));
  for (const auto& [path, text] : request.inputs) {
    put_string(out, path);
    put_string(out, text);
  }
  return out;
}

std::string encode(const DaemonResponse& response) {
  std::string out;
  out.push_back(static_cast<char>(response.disposition));
  put_u32(out, static_cast<uint32_t>(response.status));
  put_u32(out, static_cast<uint32_t>(response.output.size()));
  for (const auto& chunk : response.output) {
    out.push_back(static_cast<char>(chunk.stream));
    put_string(out, chunk.text);
  }
  return out;
}

bool decode(std::string_view payload, DaemonRequest& request) {
  Reader in(payload);
  uint32_t count = 0;
  if (!in.string(request.netns) || !in.u32(count)) return false;
  request.argv.clear();
  for (uint32_t i = 0; i < count; ++i) {
    if (!in.string(request.argv.emplace_back())) return false;
  }
  if (!in.u32(count)) return false;
  request.inputs.clear();
  for (uint32_t i = 0; i < count; ++i) {
    std::string path, text;
    if (!in.string(path) || !in.string(text)) return false;
    request.inputs[path] = std::move(text);
  }
  return in.done() && !request.argv.empty();
}

bool decode(std::string_view payload, DaemonResponse& response) {
  Reader in(payload);
  uint8_t disposition = 0;
  uint32_t status = 0, count = 0;
  if (!in.u8(disposition) || !in.u32(status) || !in.u32(count) || disposition > 1) return false;
  response.disposition = static_cast<Disposition>(disposition);
  response.status = static_cast<int32_t>(status);
  response.output.clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t stream = 0;
    OutputChunk chunk;
    if (!in.u8(stream) || !in.string(chunk.text) || stream < 1 || stream > 2) return false;
    chunk.stream = static_cast<OutputStream>(stream);
    response.output.push_back(std::move(chunk));
  }
  return in.done();
}

Status write_frame(int fd, FrameKind kind, const std::string& payload) {
  if (payload.size() > kMaxDaemonFrame)
    return Error{"send to the daemon socket", EMSGSIZE, "the request exceeds 256 MiB"};
  std::string header(kMagic, sizeof kMagic);
  header.push_back(static_cast<char>(kVersion));
  header.push_back(static_cast<char>(kind));
  header.append(2, '\0');
  put_u32(header, static_cast<uint32_t>(payload.size()));
  if (auto s = write_all(fd, header.data(), header.size()); !s) return s;
  return write_all(fd, payload.data(), payload.size());
}

Result<std::string> read_frame(int fd, FrameKind kind) {
  char header[kHeaderSize];
  if (auto s = read_all(fd, header, sizeof header); !s) return s.error();
  if (std::memcmp(header, kMagic, sizeof kMagic) != 0 || header[4] != kVersion ||
      static_cast<uint8_t>(header[5]) != static_cast<uint8_t>(kind))
    return Error{"read a daemon frame", EPROTO, "not a tc2xdp daemon frame of this version"};
  uint32_t length = 0;
  Reader(std::string_view(header + 8, 4)).u32(length);
  if (length > kMaxDaemonFrame) return Error{"read a daemon frame", EMSGSIZE, "frame too large"};
  std::string payload(length, '\0');
  if (auto s = read_all(fd, payload.data(), length); !s) return s.error();
  return payload;
}

}  // namespace tc2xdp::cli
