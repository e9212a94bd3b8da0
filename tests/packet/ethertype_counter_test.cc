// End to end: IRBuilder program -> ELF in memory -> libbpf load -> BPF_PROG_TEST_RUN.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "frames.h"
#include "root_check.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/test_run.h"
#include "test_programs.h"

namespace tc2xdp::testing {
namespace {

constexpr uint32_t kAborted = 0, kDrop = 1, kPass = 2;

TEST(EthertypeCounter, EmitsObjectIrAndAssembly) {
  Result<codegen::BpfProgram> program =
      build_ethertype_counter({.want_llvm_ir = true, .want_assembly = true});
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  ASSERT_GE(program->object.size(), 4u);
  EXPECT_EQ(0, std::memcmp(program->object.data(),
                           "\x7f"
                           "ELF",
                           4));
  EXPECT_NE(program->llvm_ir.find("section \"xdp\""), std::string::npos);
  EXPECT_NE(program->llvm_ir.find("section \".maps\""), std::string::npos);
  EXPECT_NE(program->llvm_ir.find("inttoptr (i64 1 to ptr)"), std::string::npos)
      << "bpf_map_lookup_elem is called through its helper id";
  EXPECT_NE(program->assembly.find("call 1"), std::string::npos) << program->assembly;
  EXPECT_EQ(program->function_name, "xdp_ethertype");
  ASSERT_EQ(program->maps.size(), 1u);
  EXPECT_EQ(program->maps[0].name, "eth_counts");
}

TEST(EthertypeCounter, VerdictsAndPerCpuCounters) {
  TC2XDP_REQUIRE_ROOT();
  Result<codegen::BpfProgram> program = build_ethertype_counter();
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  Result<runtime::BpfObject> object = runtime::BpfObject::load(program->object);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  Result<int> prog = object->program_fd("xdp_ethertype");
  ASSERT_TRUE(prog.ok()) << prog.error().to_string();
  Result<int> counts = object->map_fd("eth_counts");
  ASSERT_TRUE(counts.ok()) << counts.error().to_string();

  struct Case {
    std::vector<uint8_t> frame;
    uint32_t verdict;
  };
  const Case cases[] = {
      {ethernet_frame(kEthPIp), kDrop},        {ethernet_frame(kEthPIpv6), kPass},
      {ethernet_frame(kEthPArp), kPass},       {ethernet_frame(kEthPIp, 34), kDrop},
      {ethernet_frame(kEthPIp, 33), kAborted}, {ethernet_frame(kEthPIp, 14), kAborted},
      {ethernet_frame(kEthPArp, 14), kPass},
  };
  for (const Case& c : cases) {
    Result<runtime::TestRunResult> run = runtime::test_run(*prog, c.frame);
    ASSERT_TRUE(run.ok()) << run.error().to_string();
    EXPECT_EQ(run->retval, c.verdict) << "frame of " << c.frame.size() << " bytes";
    EXPECT_EQ(run->data_out, c.frame) << "the program does not rewrite frames";
  }
  // The kernel refuses to test-run frames shorter than an Ethernet header, so the program's
  // "< 14 bytes" path cannot be exercised here (a real driver never delivers such a frame).
  Result<runtime::TestRunResult> tiny = runtime::test_run(*prog, std::vector<uint8_t>(13, 0));
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.error().errno_value, EINVAL);

  // repeat counts every run.
  Result<runtime::TestRunResult> repeated =
      runtime::test_run(*prog, ethernet_frame(kEthPIp), {.repeat = 100});
  ASSERT_TRUE(repeated.ok()) << repeated.error().to_string();
  EXPECT_EQ(repeated->retval, kDrop);

  Result<uint64_t> other = runtime::read_percpu_counter(*counts, 0);
  Result<uint64_t> ipv4 = runtime::read_percpu_counter(*counts, 1);
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  ASSERT_TRUE(ipv4.ok()) << ipv4.error().to_string();
  EXPECT_EQ(*other, 3u);
  EXPECT_EQ(*ipv4, 4u + 100u);  // counted before the IPv4 header check

  Result<uint32_t> insns = runtime::verified_instructions(*prog);
  ASSERT_TRUE(insns.ok()) << insns.error().to_string();
  EXPECT_GT(*insns, 0u);
}

TEST(EthertypeCounter, IngressIfindexInContext) {
  TC2XDP_REQUIRE_ROOT();
  Result<codegen::BpfProgram> program = build_ethertype_counter();
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  Result<runtime::BpfObject> object = runtime::BpfObject::load(program->object);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  Result<runtime::TestRunResult> run = runtime::test_run(
      *object->program_fd(), ethernet_frame(kEthPIpv6), {.ingress_ifindex = 1 /* lo */});
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  EXPECT_EQ(run->retval, kPass);
  Result<runtime::TestRunResult> bad = runtime::test_run(
      *object->program_fd(), ethernet_frame(kEthPIpv6), {.ingress_ifindex = 0x7fffffff});
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace tc2xdp::testing
