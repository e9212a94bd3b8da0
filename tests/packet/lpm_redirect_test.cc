// LPM trie lookup feeding bpf_redirect_map through a DEVMAP, under BPF_PROG_TEST_RUN.
#include <gtest/gtest.h>

#include "frames.h"
#include "root_check.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/test_run.h"
#include "test_programs.h"

namespace tc2xdp::testing {
namespace {

constexpr uint32_t kPass = 2, kRedirect = 4;

struct LpmKey {
  uint32_t prefixlen;
  uint8_t addr[4];
};

TEST(LpmRedirect, HitRedirectsMissPasses) {
  TC2XDP_REQUIRE_ROOT();
  Result<codegen::BpfProgram> program = build_lpm_redirect();
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  Result<runtime::BpfObject> object = runtime::BpfObject::load(program->object);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  const int prog = *object->program_fd();
  const int routes = *object->map_fd("routes");
  const int ports = *object->map_fd("ports");

  // 10.0.0.0/8 -> port 3 -> lo; 10.1.0.0/16 -> port 5, which has no device.
  const LpmKey ten{8, {10, 0, 0, 0}}, ten_one{16, {10, 1, 0, 0}};
  const uint32_t port3 = 3, port5 = 5, lo = 1;
  ASSERT_TRUE(runtime::update_elem(routes, runtime::bytes_of(ten), runtime::bytes_of(port3)).ok());
  ASSERT_TRUE(
      runtime::update_elem(routes, runtime::bytes_of(ten_one), runtime::bytes_of(port5)).ok());
  Status set_port = runtime::update_elem(ports, runtime::bytes_of(port3), runtime::bytes_of(lo));
  ASSERT_TRUE(set_port.ok()) << set_port.error().to_string();

  auto verdict = [&](std::vector<uint8_t> frame) {
    Result<runtime::TestRunResult> run = runtime::test_run(prog, frame);
    EXPECT_TRUE(run.ok()) << run.error().to_string();
    return run.ok() ? run->retval : ~0u;
  };
  EXPECT_EQ(verdict(ipv4_frame(0x0A020304)), kRedirect);  // 10.2.3.4: /8 -> port 3 -> lo
  EXPECT_EQ(verdict(ipv4_frame(0x0A010203)), kPass);      // 10.1.2.3: /16 -> empty port 5
  EXPECT_EQ(verdict(ipv4_frame(0x0B000001)), kPass);      // 11.0.0.1: no route
  EXPECT_EQ(verdict(ethernet_frame(kEthPIpv6)), kPass);
  EXPECT_EQ(verdict(ethernet_frame(kEthPIp, 20)), kPass);  // too short for the IPv4 dst
}

}  // namespace
}  // namespace tc2xdp::testing
