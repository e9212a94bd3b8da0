// Packet tests load BPF programs: they need root (CAP_BPF + CAP_NET_ADMIN).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#define TC2XDP_REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs"
