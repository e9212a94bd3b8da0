#include "daemon_client.h"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "daemon_protocol.h"
#include "daemon_socket.h"

namespace tc2xdp::cli {

namespace {

using Args = std::vector<std::string>;

// The file operands the command will read: `-batch FILE`, `apply DEV FILE`.
std::vector<std::string> input_paths(const std::string& command, const Args& args) {
  if (command == "-batch") return args.size() == 1 ? args : Args{};
  if (command != "apply") return {};
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--mode")
      ++i;
    else if (args[i] != "--pass-through")
      positional.push_back(args[i]);
  }
  return positional.size() == 2 ? Args{positional[1]} : Args{};
}

// Quietly: on failure the command runs in-process and reports the error itself.
bool read_ahead(const std::string& path, InputTexts& inputs) {
  if (inputs.contains(path)) return true;
  if (path == "-") {
    inputs[path] =
        std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream content;
  content << in.rdbuf();
  inputs[path] = content.str();
  return true;
}

void write_all(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::optional<int> run_through_daemon(const std::string& command, const Args& args,
                                      InputTexts& inputs) {
  const std::string path = daemon_socket_path();
  auto connection = connect_daemon(path);
  if (!connection) return std::nullopt;
  DaemonRequest request;
  request.netns = netns_identity();
  request.argv.push_back(command);
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  for (const auto& input : input_paths(command, args)) {
    if (!read_ahead(input, inputs)) return std::nullopt;
  }
  request.inputs = inputs;

  const int fd = connection->get();
  const bool sent = write_frame(fd, FrameKind::kRequest, encode(request)).ok();
  // Even if sending failed, a reply may be waiting (a refusal is sent without reading).
  auto payload = read_frame(fd, FrameKind::kResponse);
  DaemonResponse response;
  if (!payload || !decode(*payload, response)) {
    // The daemon runs a request only once it has all of it: if sending failed, nothing ran.
    if (!sent) return std::nullopt;
    std::cerr << "tc2xdp: the daemon at " << path << " did not answer ("
              << (payload ? "malformed reply" : payload.error().to_string())
              << "); the change may or may not have been made\n";
    return 1;
  }
  if (response.disposition == Disposition::kRunLocally) return std::nullopt;
  for (const auto& chunk : response.output)
    write_all(chunk.stream == OutputStream::kStdout ? STDOUT_FILENO : STDERR_FILENO, chunk.text);
  return response.status;
}

}  // namespace tc2xdp::cli
