// Global data (BpfModule::declare_data): libbpf makes a one-element array map of the section,
// the loader marks it mmapable, and MappedValue edits it in place word by word.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "codegen/bpf_module.h"
#include "codegen/xdp_function.h"
#include "root_check.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/mapped_value.h"

namespace tc2xdp::testing {
namespace {

// A program that reads the first word of a `bytes`-byte global in `section`, loaded.
Result<runtime::BpfObject> load_program_with_global(const std::string& section, uint64_t bytes) {
  codegen::BpfModule m("global_data");
  llvm::GlobalVariable* data = m.declare_data(section, bytes);
  codegen::XdpFunction fn = m.create_xdp_function("xdp_pass");
  // The read keeps the global (and its relocation) in the program.
  m.builder().CreateAlignedLoad(m.builder().getInt64Ty(), data, llvm::Align(8),
                                /*isVolatile=*/true);
  fn.return_action(codegen::XdpAction::kPass);
  Result<codegen::BpfProgram> program = m.finish();
  if (!program) return program.error();
  return runtime::BpfObject::load(program->object);
}

TEST(GlobalData, IsAnMmapableOneElementMapEditedInPlace) {
  TC2XDP_REQUIRE_ROOT();
  Result<runtime::BpfObject> object = load_program_with_global(".bss.t2x_test", 100);
  ASSERT_TRUE(object.ok()) << object.error().to_string();

  Result<int> fd = object->map_fd(".bss.t2x_test");
  ASSERT_TRUE(fd.ok()) << fd.error().to_string();
  bpf_map_info info{};
  uint32_t info_size = sizeof(info);
  ASSERT_EQ(bpf_obj_get_info_by_fd(*fd, &info, &info_size), 0);
  EXPECT_EQ(info.type, BPF_MAP_TYPE_ARRAY);
  EXPECT_EQ(info.max_entries, 1u);
  EXPECT_EQ(info.value_size, 104u) << "rounded up to whole u64s";
  EXPECT_TRUE(info.map_flags & BPF_F_MMAPABLE);

  auto mapped = runtime::MappedValue::map(*fd);
  ASSERT_TRUE(mapped.ok()) << mapped.error().to_string();
  EXPECT_EQ(mapped->size(), 104u);
  std::vector<uint8_t> bytes(16);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i + 1);
  ASSERT_TRUE(mapped->store(8, bytes).ok());
  ASSERT_TRUE(mapped->store(96, std::vector<uint8_t>(8, 0xab)).ok());

  const uint32_t key = 0;
  auto value = runtime::lookup_elem(*fd, runtime::bytes_of(key), 104);
  ASSERT_TRUE(value.ok()) << value.error().to_string();
  EXPECT_EQ(std::vector<uint8_t>(value->begin(), value->begin() + 8), std::vector<uint8_t>(8, 0));
  EXPECT_EQ(std::vector<uint8_t>(value->begin() + 8, value->begin() + 24), bytes);
  EXPECT_EQ(std::vector<uint8_t>(value->begin() + 96, value->end()), std::vector<uint8_t>(8, 0xab));

  EXPECT_FALSE(mapped->store(4, std::vector<uint8_t>(8, 1)).ok()) << "unaligned";
  EXPECT_FALSE(mapped->store(8, std::vector<uint8_t>(4, 1)).ok()) << "not whole words";
  EXPECT_FALSE(mapped->store(104, std::vector<uint8_t>(8, 1)).ok()) << "past the end";
}

TEST(GlobalData, AWindowMapsOnlyThePagesOfItsBytes) {
  TC2XDP_REQUIRE_ROOT();
  Result<runtime::BpfObject> object = load_program_with_global(".bss.t2x_window", 5 * 4096);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  Result<int> fd = object->map_fd(".bss.t2x_window");
  ASSERT_TRUE(fd.ok()) << fd.error().to_string();

  // Bytes 9000..9048 lie on the third page: it alone is mapped.
  auto window = runtime::MappedValue::map(*fd, 9000, 9048);
  ASSERT_TRUE(window.ok()) << window.error().to_string();
  ASSERT_TRUE(window->store(9000, std::vector<uint8_t>(48, 0x5a)).ok());
  ASSERT_TRUE(window->store(8192, std::vector<uint8_t>(8, 0x11)).ok()) << "same page";
  EXPECT_FALSE(window->store(8184, std::vector<uint8_t>(8, 1)).ok()) << "the page before";
  EXPECT_FALSE(window->store(12288, std::vector<uint8_t>(8, 1)).ok()) << "the page after";

  const uint32_t key = 0;
  auto value = runtime::lookup_elem(*fd, runtime::bytes_of(key), 5 * 4096);
  ASSERT_TRUE(value.ok()) << value.error().to_string();
  EXPECT_EQ(std::vector<uint8_t>(value->begin() + 9000, value->begin() + 9048),
            std::vector<uint8_t>(48, 0x5a));
  EXPECT_EQ((*value)[8192], 0x11);
  EXPECT_EQ((*value)[8191], 0);
  EXPECT_EQ((*value)[9048], 0);
}

TEST(GlobalData, WritesInPlaceLandWhereTheySayAndNothingElseChanges) {
  TC2XDP_REQUIRE_ROOT();
  Result<runtime::BpfObject> object = load_program_with_global(".bss.t2x_writes", 3 * 4096);
  ASSERT_TRUE(object.ok()) << object.error().to_string();
  Result<int> fd = object->map_fd(".bss.t2x_writes");
  ASSERT_TRUE(fd.ok()) << fd.error().to_string();
  const std::vector<uint8_t> a(16, 0xa1), b(8, 0xb2);
  const std::vector<runtime::ValueWrite> writes = {{40, a}, {2 * 4096 + 8, b}};
  ASSERT_TRUE(runtime::store_in_place(*fd, writes).ok());

  const uint32_t key = 0;
  auto value = runtime::lookup_elem(*fd, runtime::bytes_of(key), 3 * 4096);
  ASSERT_TRUE(value.ok()) << value.error().to_string();
  std::vector<uint8_t> expected(3 * 4096, 0);
  std::fill_n(expected.begin() + 40, 16, 0xa1);
  std::fill_n(expected.begin() + 2 * 4096 + 8, 8, 0xb2);
  EXPECT_EQ(*value, expected);

  const std::vector<runtime::ValueWrite> past_the_end = {{3 * 4096, b}};
  EXPECT_FALSE(runtime::store_in_place(*fd, past_the_end).ok());
}

TEST(GlobalData, AnOrdinaryMapIsNotMapped) {
  TC2XDP_REQUIRE_ROOT();
  const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t2x_plain", 4, 64, 4, nullptr);
  ASSERT_GE(fd, 0);
  auto mapped = runtime::MappedValue::map(fd);
  ASSERT_FALSE(mapped.ok());
  EXPECT_NE(mapped.error().to_string().find("t2x_plain"), std::string::npos);
  close(fd);
}

}  // namespace
}  // namespace tc2xdp::testing
