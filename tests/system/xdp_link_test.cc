// XdpLink on a real veth in a throwaway namespace: attach, atomic replace, pin, reopen, detach.
#include "tc2xdp/runtime/xdp_link.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include "netns.h"
#include "tc2xdp/runtime/trivial_program.h"

namespace tc2xdp::runtime {
namespace {

using tc2xdp::testing::NetnsScope;
using tc2xdp::testing::sh;
using tc2xdp::testing::TestTopology;

bool ping_ok(const std::string& ns, const std::string& address) {
  return std::system(("ip netns exec " + ns + " ping -c1 -W1 -q " + address + " >/dev/null 2>&1")
                         .c_str()) == 0;
}

class XdpLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "system tests need root";
    topo_.add_veth("xla0", "xlb0");
    sh("ip -n " + topo_.a() + " addr add 10.250.0.1/24 dev xla0");
    sh("ip -n " + topo_.b() + " addr add 10.250.0.2/24 dev xlb0");
  }
  TestTopology topo_{"t2xlink"};
};

TEST_F(XdpLinkTest, AttachReplacePinReopenDetach) {
  ASSERT_TRUE(ping_ok(topo_.a(), "10.250.0.2"));
  auto drop = load_trivial_xdp(1);
  auto pass = load_trivial_xdp(2);
  ASSERT_TRUE(drop.ok() && pass.ok());
  const std::string pin_dir = "/sys/fs/bpf/t2x-test-" + std::to_string(getpid());
  ASSERT_TRUE(ensure_bpffs_dir(pin_dir).ok());
  {
    NetnsScope in_b(topo_.b());
    const uint32_t ifindex = if_nametoindex("xlb0");
    ASSERT_NE(ifindex, 0u);
    auto link = XdpLink::attach(ifindex, drop->get(), XdpMode::kNative);
    ASSERT_TRUE(link.ok()) << link.error().to_string();
    ASSERT_TRUE(link->pin(pin_dir + "/link").ok());
  }
  // The link fd is closed, but the pin keeps the program attached.
  EXPECT_FALSE(ping_ok(topo_.a(), "10.250.0.2"));
  EXPECT_NE(sh("ip -n " + topo_.b() + " link show xlb0").find("xdp"), std::string::npos);

  auto reopened = XdpLink::open_pinned(pin_dir + "/link");
  ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
  // A replace that expects the wrong old program is refused; the right one swaps.
  EXPECT_FALSE(reopened->update(pass->get(), pass->get()).ok());
  ASSERT_TRUE(reopened->update(pass->get(), drop->get()).ok());
  EXPECT_TRUE(ping_ok(topo_.a(), "10.250.0.2"));

  ASSERT_TRUE(reopened->detach().ok());
  unlink((pin_dir + "/link").c_str());
  rmdir(pin_dir.c_str());
  EXPECT_EQ(sh("ip -n " + topo_.b() + " link show xlb0").find("xdp"), std::string::npos);
}

TEST_F(XdpLinkTest, SecondAttachToTheSameDeviceIsRefusedWithAHint) {
  auto pass = load_trivial_xdp(2);
  ASSERT_TRUE(pass.ok());
  NetnsScope in_b(topo_.b());
  const uint32_t ifindex = if_nametoindex("xlb0");
  auto first = XdpLink::attach(ifindex, pass->get(), XdpMode::kNative);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto second = XdpLink::attach(ifindex, pass->get(), XdpMode::kNative);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().detail.find("another XDP program"), std::string::npos)
      << second.error().to_string();
  auto missing = XdpLink::attach(999999, pass->get(), XdpMode::kNative);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("does not exist"), std::string::npos)
      << missing.error().to_string();
}

}  // namespace
}  // namespace tc2xdp::runtime
