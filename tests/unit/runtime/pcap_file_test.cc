#include "tc2xdp/runtime/pcap_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace tc2xdp::runtime {
namespace {

std::string temp_path(const char* name) {
  return std::string(::testing::TempDir()) + name + std::to_string(getpid()) + ".pcap";
}

TEST(PcapFile, WriteThenReadRoundTrips) {
  const std::string path = temp_path("roundtrip");
  std::vector<PcapPacket> packets = {{{1, 2, 3}, 3, 1'500'000'000'123'456'000ull},
                                     {std::vector<uint8_t>(1500, 0xab), 1500, 0}};
  ASSERT_TRUE(write_pcap(path, packets).ok());
  auto read = read_pcap(path);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].data, packets[0].data);
  EXPECT_EQ((*read)[0].timestamp_ns, packets[0].timestamp_ns);
  EXPECT_EQ((*read)[1].data, packets[1].data);
  std::remove(path.c_str());
}

TEST(PcapFile, ReadsBigEndianNanosecondFiles) {
  const std::string path = temp_path("bigendian");
  const uint8_t bytes[] = {0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
                           0xff, 0, 0, 0, 1,
                           // one record: ts 1 s + 5 ns, caplen 2, len 60
                           0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 60, 0xde, 0xad};
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes), sizeof bytes);
  auto read = read_pcap(path);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].timestamp_ns, 1'000'000'005ull);
  EXPECT_EQ((*read)[0].original_length, 60u);
  EXPECT_EQ((*read)[0].data, (std::vector<uint8_t>{0xde, 0xad}));
  std::remove(path.c_str());
}

TEST(PcapFile, RejectsTruncatedRecordsAndOtherFormats) {
  const std::string path = temp_path("bad");
  ASSERT_TRUE(write_pcap(path, {{{1, 2, 3, 4}, 4, 0}}).ok());
  { std::ofstream(path, std::ios::binary | std::ios::app).write("\x01\x00", 2); }
  auto read = read_pcap(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().detail.find("trailing"), std::string::npos);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "this text is not a capture file at all";
  read = read_pcap(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().detail.find("not a pcap"), std::string::npos);
  EXPECT_FALSE(read_pcap("/nonexistent/x.pcap").ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tc2xdp::runtime
