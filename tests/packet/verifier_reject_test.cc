// A program the verifier rejects comes back as an Error carrying the verifier's own words.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "root_check.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "test_programs.h"

namespace tc2xdp::testing {
namespace {

TEST(VerifierReject, UncheckedPacketReadIsRejectedWithLog) {
  TC2XDP_REQUIRE_ROOT();
  Result<codegen::BpfProgram> program = build_unchecked_read();
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  Result<runtime::BpfObject> object = runtime::BpfObject::load(program->object);
  ASSERT_FALSE(object.ok());
  const Error& error = object.error();
  EXPECT_EQ(error.operation, "bpf_object__load");
  EXPECT_EQ(error.errno_value, EACCES);
  EXPECT_NE(error.detail.find("invalid access to packet"), std::string::npos) << error.detail;
  // BTF line info names the source line (one rule per line in real programs).
  EXPECT_NE(error.detail.find("rule 7: read ethertype unchecked"), std::string::npos)
      << error.detail;
  // Trimmed: a tail, not the whole log.
  EXPECT_LE(std::count(error.detail.begin(), error.detail.end(), '\n'), 45);
}

TEST(VerifierReject, TailLinesKeepsTheEnd) {
  EXPECT_EQ(runtime::tail_lines("a\nb\nc\nd\n", 2), "...\nc\nd");
  EXPECT_EQ(runtime::tail_lines("a\nb\n", 5), "a\nb");
  EXPECT_EQ(runtime::tail_lines("", 5), "");
}

TEST(VerifierReject, GarbageElfFailsToOpen) {
  const std::vector<uint8_t> garbage(64, 0xab);
  Result<runtime::BpfObject> object = runtime::BpfObject::load(garbage);
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().operation, "bpf_object__open_mem");
  EXPECT_NE(object.error().errno_value, 0);
  EXPECT_NE(object.error().detail.find("libbpf"), std::string::npos)  // captured, not on stderr
      << object.error().detail;
}

}  // namespace
}  // namespace tc2xdp::testing
