// A test suite in a private network namespace that holds the devices generated rules name:
// BPF_PROG_TEST_RUN needs frames' ingress ifindexes (1..3) and the redirect target (4) to be real,
// so lo (1) and two veth pairs (2..5) are made once per suite.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>

namespace tc2xdp::testing {

class GenDevicesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "cannot make a network namespace";
    ASSERT_EQ(std::system("ip link set lo up && ip link add d2 type veth peer name d3 && "
                          "ip link add d4 type veth peer name d5 && "
                          "for d in d2 d3 d4 d5; do ip link set $d up; done"),
              0);
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "packet tests need root";
  }
};

}  // namespace tc2xdp::testing
