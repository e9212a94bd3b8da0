#include <gtest/gtest.h>

#include "tc2xdp/diagnostic.h"
#include "tc2xdp/ir/field.h"

namespace tc2xdp::ir {
namespace {

TEST(FieldCatalogue, NamesResolveAndWidthsMatchTheKernelKeys) {
  EXPECT_EQ(field_by_name("dst_port"), Field::kDstPort);
  EXPECT_EQ(field_info(Field::kIpv6Src).width, 16);
  EXPECT_EQ(field_info(Field::kVlanId).valid_mask, 0x0fffu);
  EXPECT_FALSE(field_by_name("no_such_key"));
}

TEST(MaskedValue, RoundTripsHostOrderAndCanonicalizes) {
  auto mv = MaskedValue::from_u64(4, 0x0a0b0c0d, 0xffff0000);
  EXPECT_EQ(mv.value[0], 0x0a);
  EXPECT_EQ(mv.value_u64(4), 0x0a0b0c0du);
  mv.canonicalize();
  EXPECT_EQ(mv.value_u64(4), 0x0a0b0000u);
  EXPECT_FALSE(mv.mask_is_zero());
}

TEST(Diagnostic, FormatsFileLineColumnTokenAndHint) {
  Diagnostics d;
  d.error({"rules.tc", 12, 37}, "dst_port needs ip_proto tcp, udp or sctp", "dst_port",
          "add 'ip_proto tcp' before it");
  EXPECT_EQ(d.to_string(),
            "rules.tc:12:37: error: dst_port needs ip_proto tcp, udp or sctp\n"
            "  near 'dst_port'\n  hint: add 'ip_proto tcp' before it\n");
  EXPECT_TRUE(d.has_errors());
}

}  // namespace
}  // namespace tc2xdp::ir
