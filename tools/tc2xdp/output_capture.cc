#include "output_capture.h"

#include <utility>

namespace tc2xdp::cli {

OutputCapture::OutputCapture()
    : saved_out_(std::cout.rdbuf(&out_)), saved_err_(std::cerr.rdbuf(&err_)) {}

OutputCapture::~OutputCapture() {
  std::cout.rdbuf(saved_out_);
  std::cerr.rdbuf(saved_err_);
  // A command may leave a stream failed (e.g. after printing nothing); the next one starts clean.
  std::cout.clear();
  std::cerr.clear();
}

std::vector<OutputChunk> OutputCapture::take() {
  return std::exchange(chunks_, {});
}

void OutputCapture::append(OutputStream stream, const char* data, size_t size) {
  if (size == 0) return;
  if (chunks_.empty() || chunks_.back().stream != stream) chunks_.push_back({stream, {}});
  chunks_.back().text.append(data, size);
}

OutputCapture::Sink::int_type OutputCapture::Sink::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  owner_.append(stream_, &ch, 1);
  return c;
}

std::streamsize OutputCapture::Sink::xsputn(const char* s, std::streamsize n) {
  owner_.append(stream_, s, static_cast<size_t>(n));
  return n;
}

}  // namespace tc2xdp::cli
