// Rewriting actions on hand-picked frames where the kernel's behaviour has corners: the compiled
// program must agree with the reference byte for byte, and a few facts are checked outright
// (a wrong checksum comes out right, a zero UDP checksum over IPv4 stays zero, pedit's carry runs
// the way the kernel's does, the mark's metadata layout).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/frame_builder.h"
#include "root_check.h"
#include "tc2xdp/codegen/compile.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/runtime/program_check.h"

namespace tc2xdp::testing {
namespace {

// One rule set loaded next to the reference.
class Rewriter {
 public:
  explicit Rewriter(const std::string& text, plan::LookupPolicy lookup = {}) {
    Diagnostics diags;
    ok_ = frontend::tc::load_rules(text, "edges.tc", rules_, diags);
    EXPECT_TRUE(ok_) << diags.to_string();
    if (!ok_) return;
    plan::PlanOptions options;
    options.lookup = lookup;
    plan_ = plan::make_plan(rules_, options, diags);
    EXPECT_EQ(plan_.punted_count(), 0u) << plan::describe(plan_, rules_);
    auto program = codegen::compile(rules_, plan_);
    ok_ = program.ok();
    EXPECT_TRUE(ok_) << program.error().to_string();
    if (!ok_) return;
    auto loaded = runtime::LoadedProgram::load(plan_, *program, {});
    ok_ = loaded.ok();
    EXPECT_TRUE(ok_) << loaded.error().to_string();
    if (ok_) loaded_.emplace(std::move(*loaded));
  }
  bool ok() const { return ok_; }
  // Runs the frame through both; fails the test on any disagreement; returns the program's view.
  runtime::ProgramOutcome run(const std::vector<uint8_t>& frame) {
    auto got = loaded_->run(frame);
    EXPECT_TRUE(got.ok());
    const auto options = runtime::reference_options(plan_, rules_, {});
    const auto expected = reference::classify(rules_, frame, 1, options);
    EXPECT_EQ(runtime::compare_outcomes(*got, expected, rules_), "") << expected.explanation;
    return *got;
  }

 private:
  bool ok_ = false;
  ir::RuleSet rules_;
  plan::Plan plan_;
  std::optional<runtime::LoadedProgram> loaded_;
};

uint32_t fold_sum(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

bool ipv4_header_ok(const std::vector<uint8_t>& f, size_t nh = 14) {
  return fold_sum(f.data() + nh, (f[nh] & 15) * 4u) == 0xffff;
}

bool l4_ok(const std::vector<uint8_t>& f, uint8_t proto, size_t nh = 14) {
  const size_t ihl = (f[nh] & 15) * 4u;
  const size_t len = static_cast<size_t>(f[nh + 2] << 8 | f[nh + 3]) - ihl;
  uint8_t pseudo[12];
  std::copy(f.begin() + nh + 12, f.begin() + nh + 20, pseudo);
  pseudo[8] = 0, pseudo[9] = proto, pseudo[10] = len >> 8, pseudo[11] = len & 0xff;
  return fold_sum(f.data() + nh + ihl, len, fold_sum(pseudo, 12)) == 0xffff;
}

const std::string kRule = "filter add dev eth0 ingress pref 1 protocol ip flower ";

TEST(ActionEdges, CsumRepairsWrongChecksumsAndKeepsAZeroUdpChecksum) {
  TC2XDP_REQUIRE_ROOT();
  for (auto lookup : {plan::LookupPolicy::kInlineOnly, plan::LookupPolicy::kAlwaysTable}) {
    Rewriter r(kRule + "ip_proto udp action pedit ex munge ip dst set 10.9.9.9 pipe action " +
                   "csum iph and udp pipe action pass\n" +
                   "filter add dev eth0 ingress pref 2 protocol ip flower ip_proto tcp action " +
                   "csum iph and tcp pipe action pass\n",
               lookup);
    if (!r.ok()) return;
    // Odd payload lengths, long payloads (several 512-byte chunks), wrong checksums on entry.
    for (size_t payload : {0u, 1u, 7u, 513u, 1400u}) {
      auto udp = FrameBuilder()
                     .eth()
                     .ipv4({.bad_checksum = true})
                     .udp({})
                     .payload(payload, static_cast<uint8_t>(payload))
                     .build();
      udp[14 + 20 + 6] ^= 0xff;
      auto got = r.run(udp);
      EXPECT_TRUE(ipv4_header_ok(got.output)) << payload;
      EXPECT_TRUE(l4_ok(got.output, 17)) << payload;
      auto tcp = FrameBuilder().eth().ipv4({}).tcp({}).payload(payload, 0xee).build();
      tcp[14 + 20 + 16] ^= 0x11;
      got = r.run(tcp);
      EXPECT_TRUE(l4_ok(got.output, 6)) << payload;
    }
    // IPv4 UDP without a checksum keeps none (the header checksum is still fixed).
    auto zero = FrameBuilder().eth().ipv4({}).udp({.zero_checksum = true}).payload(9).build();
    auto got = r.run(zero);
    EXPECT_EQ(got.output[14 + 20 + 6], 0);
    EXPECT_EQ(got.output[14 + 20 + 7], 0);
    EXPECT_TRUE(ipv4_header_ok(got.output));
    // A frame too short for the total length the header claims: csum drops it, as tcf_csum.
    auto lying = FrameBuilder().eth().ipv4({.total_length = 200}).udp({}).payload(4).build();
    EXPECT_EQ(r.run(lying).verdict, reference::Verdict::kDrop);
  }
}

TEST(ActionEdges, TheSameCsumTwiceInOneListIsVerifiedAndRunsTwice) {
  TC2XDP_REQUIRE_ROOT();
  // The second csum of the same flags once re-entered the first one's shared code, which the
  // verifier took for an infinite loop (a generated set found it).
  Rewriter r(kRule +
             "ip_proto udp action csum igmp udp pipe action pedit ex munge ip ttl set 3 pipe "
             "action csum igmp udp pipe action pass\n");
  if (!r.ok()) return;
  auto udp = FrameBuilder().eth().ipv4({.bad_checksum = true}).udp({}).payload(21, 5).build();
  udp[14 + 20 + 6] ^= 0xff;
  auto got = r.run(udp);
  EXPECT_EQ(got.output[14 + 8], 3);
  EXPECT_TRUE(l4_ok(got.output, 17));
}

TEST(ActionEdges, PeditAddCarriesLikeTheKernelAndSkipsTheOuterTag) {
  TC2XDP_REQUIRE_ROOT();
  Rewriter r(
      "filter add dev eth0 ingress pref 1 protocol all flower action pedit ex munge tcp "
      "dport add 1 munge ip ttl dec munge eth src set 02:aa:bb:cc:dd:ee pipe action pass\n");
  if (!r.ok()) return;
  // Port 0x00ff + 1: the word is added little-endian, so the carry leaves the field: 0.
  auto frame = FrameBuilder().eth().ipv4({.ttl = 0}).tcp({.dport = 0x00ff}).build();
  auto got = r.run(frame);
  EXPECT_EQ(got.output[14 + 20 + 2], 0);
  EXPECT_EQ(got.output[14 + 20 + 3], 0);
  EXPECT_EQ(got.output[14 + 8], 0xff);  // ttl 0 - 1
  EXPECT_EQ(got.output[6], 0x02);
  EXPECT_EQ(got.output[11], 0xee);
  // Behind an outer tag the offsets are the untagged skb's: the tag itself is untouched.
  auto tagged = FrameBuilder().eth().vlan(7, 3).ipv4({}).tcp({.dport = 80}).build();
  got = r.run(tagged);
  EXPECT_EQ(got.output[14], tagged[14]);
  EXPECT_EQ(got.output[15], tagged[15]);
  EXPECT_EQ(got.output[18 + 20 + 3], 81);
}

TEST(ActionEdges, VlanPushPopModifyAndTheMarkInMetadata) {
  TC2XDP_REQUIRE_ROOT();
  Rewriter r(kRule + "ip_proto udp action vlan push id 100 protocol 802.1ad priority 6 pipe " +
             "action vlan push id 5 pipe action skbedit mark 0x1234/0xff00 pipe action pass\n" +
             "filter add dev eth0 ingress pref 2 protocol 802.1q flower vlan_id 7 action vlan " +
             "modify id 9 priority 1 pipe action pass\n" +
             "filter add dev eth0 ingress pref 3 protocol 802.1q flower vlan_id 8 action vlan " +
             "pop pipe action vlan pop pipe action vlan modify id 3 pipe action pass\n");
  if (!r.ok()) return;
  const auto plain = FrameBuilder().eth().ipv4({}).udp({}).build();
  auto got = r.run(plain);
  ASSERT_EQ(got.output.size(), plain.size() + 8);
  // The last push is outermost: 8100/0005, then 88a8 with priority 6 and VID 100.
  const std::vector<uint8_t> tags{0x81, 0x00, 0x00, 0x05, 0x88, 0xa8, 0xc0, 0x64};
  EXPECT_EQ(std::vector<uint8_t>(got.output.begin() + 12, got.output.begin() + 20), tags);
  ASSERT_TRUE(got.mark);
  EXPECT_EQ(*got.mark, 0x1200u);  // (0 & ~0xff00) | (0x1234 & 0xff00)
  // modify keeps DEI, sets priority and VID.
  auto tagged = FrameBuilder().eth().vlan(7, 5).ipv4({}).udp({}).build();
  tagged[14] |= 0x10;  // DEI
  got = r.run(tagged);
  EXPECT_EQ(got.output[14], 0x30);  // priority 1, DEI
  EXPECT_EQ(got.output[15], 9);
  // Two pops of a single tag: the second finds none and leaves the frame alone; so does modify.
  auto single = FrameBuilder().eth().vlan(8).ipv4({}).udp({}).build();
  got = r.run(single);
  EXPECT_EQ(got.output.size(), single.size() - 4);
  EXPECT_EQ(got.output[12], 0x08);
  EXPECT_FALSE(got.mark);
}

}  // namespace
}  // namespace tc2xdp::testing
