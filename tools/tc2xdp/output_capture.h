// Runs a command's output into memory: while alive, std::cout and std::cerr write into one list
// of chunks in the order written, which the daemon sends back for the client to replay.
#pragma once

#include <iostream>
#include <streambuf>
#include <vector>

#include "daemon_protocol.h"

namespace tc2xdp::cli {

class OutputCapture {
 public:
  OutputCapture();
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  std::vector<OutputChunk> take();

 private:
  // Unbuffered: every write lands in the list at once, so the streams interleave as written.
  class Sink : public std::streambuf {
   public:
    Sink(OutputCapture& owner, OutputStream stream) : owner_(owner), stream_(stream) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;

   private:
    OutputCapture& owner_;
    OutputStream stream_;
  };

  void append(OutputStream stream, const char* data, size_t size);

  std::vector<OutputChunk> chunks_;
  Sink out_{*this, OutputStream::kStdout};
  Sink err_{*this, OutputStream::kStderr};
  std::streambuf* saved_out_;
  std::streambuf* saved_err_;
};

}  // namespace tc2xdp::cli
