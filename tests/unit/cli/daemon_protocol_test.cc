// The daemon's wire format and output capture, without a daemon: round trips, and malformed
// input rejected rather than half-read.
#include "daemon_protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

#include "output_capture.h"

namespace tc2xdp::cli {
namespace {

DaemonRequest sample_request() {
  DaemonRequest r;
  r.netns = "4:4026531840";
  r.argv = {"-batch", "-"};
  r.inputs["-"] = std::string("filter add dev eth0 ingress flower action drop\n\0x", 50);
  r.inputs["rules.tc"] = "";
  return r;
}

TEST(DaemonProtocol, RequestsAndResponsesRoundTrip) {
  const DaemonRequest request = sample_request();
  DaemonRequest back;
  ASSERT_TRUE(decode(encode(request), back));
  EXPECT_EQ(back.netns, request.netns);
  EXPECT_EQ(back.argv, request.argv);
  EXPECT_EQ(back.inputs, request.inputs);

  DaemonResponse response;
  response.disposition = Disposition::kDone;
  response.status = 2;
  response.output = {{OutputStream::kStderr, "a\n"}, {OutputStream::kStdout, "b"}};
  DaemonResponse again;
  ASSERT_TRUE(decode(encode(response), again));
  EXPECT_EQ(again.status, 2);
  ASSERT_EQ(again.output.size(), 2u);
  EXPECT_EQ(again.output[0].stream, OutputStream::kStderr);
  EXPECT_EQ(again.output[0].text, "a\n");
  EXPECT_EQ(again.output[1].text, "b");
}

TEST(DaemonProtocol, TruncatedOrPaddedPayloadsAreRejected) {
  const std::string payload = encode(sample_request());
  DaemonRequest back;
  for (size_t n = 0; n < payload.size(); ++n)
    EXPECT_FALSE(decode(std::string_view(payload).substr(0, n), back)) << n;
  EXPECT_FALSE(decode(payload + "x", back));
  DaemonRequest empty_argv;
  EXPECT_FALSE(decode(encode(empty_argv), back));
  DaemonResponse response;
  std::string bad_stream =
      encode(DaemonResponse{Disposition::kDone, 0, {{OutputStream::kStdout, ""}}});
  bad_stream[9] = 3;  // disposition(1) status(4) count(4), then the stream byte
  EXPECT_FALSE(decode(bad_stream, response));
}

TEST(DaemonProtocol, FramesCarryMagicKindAndLength) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_TRUE(write_frame(fds[0], FrameKind::kRequest, "hello").ok());
  auto got = read_frame(fds[1], FrameKind::kRequest);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, "hello");
  // A response where a request is expected, and a stranger's bytes, are refused.
  ASSERT_TRUE(write_frame(fds[0], FrameKind::kResponse, "x").ok());
  EXPECT_FALSE(read_frame(fds[1], FrameKind::kRequest).ok());
  const char junk[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(write(fds[0], junk, sizeof junk - 1), static_cast<ssize_t>(sizeof junk - 1));
  EXPECT_FALSE(read_frame(fds[1], FrameKind::kRequest).ok());
  close(fds[0]);
  EXPECT_FALSE(read_frame(fds[1], FrameKind::kRequest).ok());  // hung up
  close(fds[1]);
}

TEST(OutputCapture, KeepsTheOrderOfStdoutAndStderr) {
  std::vector<OutputChunk> chunks;
  {
    OutputCapture capture;
    std::cout << "one ";
    std::cout << "two\n";
    std::cerr << "warn\n";
    std::cout << 3 << "\n";
    chunks = capture.take();
  }
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].stream, OutputStream::kStdout);
  EXPECT_EQ(chunks[0].text, "one two\n");
  EXPECT_EQ(chunks[1].stream, OutputStream::kStderr);
  EXPECT_EQ(chunks[1].text, "warn\n");
  EXPECT_EQ(chunks[2].text, "3\n");
}

}  // namespace
}  // namespace tc2xdp::cli
