// Every supported map kind is declared with BTF the kernel accepts, with the declared shape.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include "codegen/bpf_module.h"
#include "codegen/xdp_function.h"
#include "root_check.h"
#include "tc2xdp/runtime/bpf_object.h"

namespace tc2xdp::testing {
namespace {

using codegen::BtfType;
using codegen::MapKind;
using codegen::MapSpec;

TEST(MapKinds, AllKindsLoadWithTheirShape) {
  TC2XDP_REQUIRE_ROOT();
  const BtfType flow_key = BtfType::structure(
      "flow_key",
      {{"src", 4}, {"dst", 4}, {"sport", 2}, {"dport", 2}, {"proto", 1}, {"pad", 1, 3}});
  const BtfType stats = BtfType::structure("rule_stats", {{"packets", 8}, {"bytes", 8}});
  const std::vector<MapSpec> specs = {
      {"m_array", MapKind::kArray, BtfType::u32(), BtfType::u64(), 4},
      {"m_pcpu_array", MapKind::kPercpuArray, BtfType::u32(), stats, 16},
      {"m_hash", MapKind::kHash, flow_key, BtfType::u32(), 128},
      {"m_pcpu_hash", MapKind::kPercpuHash, BtfType::u64(), stats, 128},
      {"m_lpm", MapKind::kLpmTrie, BtfType::lpm_key("lpm6", 16), BtfType::u32(), 32},
      {"m_devmap", MapKind::kDevmap, BtfType::u32(), BtfType::u32(), 8},
      {"m_devmap_hash", MapKind::kDevmapHash, BtfType::u32(), BtfType::u32(), 8},
  };
  codegen::BpfModule m("map_kinds");
  for (const MapSpec& spec : specs) m.declare_map(spec);
  codegen::XdpFunction fn = m.create_xdp_function("xdp_pass");
  fn.return_action(codegen::XdpAction::kPass);
  Result<codegen::BpfProgram> program = m.finish();
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  Result<runtime::BpfObject> object = runtime::BpfObject::load(program->object);
  ASSERT_TRUE(object.ok()) << object.error().to_string();

  for (const MapSpec& spec : specs) {
    SCOPED_TRACE(spec.name);
    Result<int> fd = object->map_fd(spec.name);
    ASSERT_TRUE(fd.ok()) << fd.error().to_string();
    bpf_map_info info{};
    uint32_t length = sizeof(info);
    ASSERT_EQ(bpf_obj_get_info_by_fd(*fd, &info, &length), 0);
    EXPECT_EQ(info.type, codegen::bpf_map_type(spec.kind));
    EXPECT_EQ(info.key_size, spec.key.byte_size());
    EXPECT_EQ(info.value_size, spec.value.byte_size());
    EXPECT_EQ(info.max_entries, spec.max_entries);
    const bool devmap = spec.kind == MapKind::kDevmap || spec.kind == MapKind::kDevmapHash;
    // The kernel makes device maps read-only for programs by itself.
    EXPECT_EQ(info.map_flags & ~(devmap ? uint32_t{BPF_F_RDONLY_PROG} : 0u),
              codegen::effective_map_flags(spec));
    // libbpf creates device maps without BTF on purpose; every other map keeps its types.
    EXPECT_EQ(info.btf_key_type_id != 0, !devmap);
    EXPECT_EQ(info.btf_value_type_id != 0, !devmap);
  }
}

}  // namespace
}  // namespace tc2xdp::testing
