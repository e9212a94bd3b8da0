// RuleSet follows cls_api/cls_flower identity and ordering rules.
#include <gtest/gtest.h>

#include "tc2xdp/ir/rule.h"

namespace tc2xdp::ir {
namespace {

constexpr uint16_t kIp = 0x0800;

Rule make_rule(uint32_t pref, uint32_t dst_ip, uint32_t mask = 0xffffffff, uint32_t handle = 0) {
  Rule r;
  r.dev = "eth0";
  r.pref = pref;
  r.handle = handle;
  r.protocol = kIp;
  r.match.set(Field::kIpv4Dst, MaskedValue::from_u64(4, dst_ip & mask, mask));
  r.origin = {"rules.tc", 1, 1};
  return r;
}

Command add(Rule r) { return {CommandOp::kAdd, std::move(r)}; }

std::vector<uint32_t> handles(const RuleSet& set) {
  std::vector<uint32_t> out;
  for (const auto& r : set.rules()) out.push_back(r.handle);
  return out;
}

TEST(RuleSet, AutoPrefStartsAt49152AndCountsDown) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(0, 1)), d));
  ASSERT_TRUE(set.apply(add(make_rule(0, 2)), d));
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.rules()[0].pref, 49151u);
  EXPECT_EQ(set.rules()[1].pref, 49152u);
}

TEST(RuleSet, AutoPrefGoesBelowTheLowestExplicitPref) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1)), d));
  ASSERT_TRUE(set.apply(add(make_rule(0, 2)), d));
  EXPECT_EQ(set.rules()[0].pref, 9u);
}

TEST(RuleSet, HandlesAreLowestFreeFromOnePerInstance) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1)), d));
  ASSERT_TRUE(set.apply(add(make_rule(10, 2)), d));
  ASSERT_TRUE(set.apply(add(make_rule(20, 3)), d));
  EXPECT_EQ(handles(set), (std::vector<uint32_t>{1, 2, 1}));
  Rule del = make_rule(10, 0, 0, 1);
  ASSERT_TRUE(set.apply({CommandOp::kDelete, del}, d));
  ASSERT_TRUE(set.apply(add(make_rule(10, 4)), d));
  EXPECT_NE(set.find(0, 10, 1), nullptr);
  EXPECT_EQ(set.find(0, 10, 1)->match.get(Field::kIpv4Dst)->value_u64(4), 4u);
}

TEST(RuleSet, ExactDuplicateIsRejectedWithLocation) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a000001)), d));
  Rule dup = make_rule(10, 0x0a000001);
  dup.origin = {"rules.tc", 7, 3};
  EXPECT_FALSE(set.apply(add(dup), d));
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items().back().location.line, 7);
  EXPECT_NE(d.items().back().message.find("same match"), std::string::npos);
  EXPECT_EQ(set.size(), 1u);
}

TEST(RuleSet, SameKeyUnderDifferentMaskIsNotADuplicate) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a000000, 0xff000000)), d));
  EXPECT_TRUE(set.apply(add(make_rule(10, 0x0a000000, 0xffff0000)), d));
}

TEST(RuleSet, ProtocolMismatchInOneInstanceIsRejected) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1)), d));
  Rule v6;
  v6.pref = 10;
  v6.protocol = 0x86dd;
  EXPECT_FALSE(set.apply(add(v6), d));
  EXPECT_TRUE(d.has_errors());
}

TEST(RuleSet, MasksAreTriedInCreationOrderNotFilterOrder) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a000000, 0xff000000)), d));  // h1, mask /8
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a010000, 0xffff0000)), d));  // h2, mask /16
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0b000000, 0xff000000)), d));  // h3, mask /8 again
  EXPECT_EQ(handles(set), (std::vector<uint32_t>{1, 3, 2}));
}

TEST(RuleSet, AMaskFreedByItsLastFilterIsRecreatedAtTheEnd) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a000000, 0xff000000)), d));  // h1 /8
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a010000, 0xffff0000)), d));  // h2 /16
  ASSERT_TRUE(set.apply({CommandOp::kDelete, make_rule(10, 0, 0, 1)}, d));
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0c000000, 0xff000000)), d));  // h1 again, /8 new
  EXPECT_EQ(handles(set), (std::vector<uint32_t>{2, 1}));
}

TEST(RuleSet, ReplaceKeepsPlaceWhenMaskUnchanged) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1)), d));
  ASSERT_TRUE(set.apply(add(make_rule(10, 0x0a000000, 0xff000000)), d));
  ASSERT_TRUE(set.apply({CommandOp::kReplace, make_rule(10, 9, 0xffffffff, 1)}, d));
  EXPECT_EQ(handles(set), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(set.find(0, 10, 1)->match.get(Field::kIpv4Dst)->value_u64(4), 9u);
}

TEST(RuleSet, AddOfAnExistingHandleFailsAndChangeOfAMissingOneFails) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1, 0xffffffff, 5)), d));
  EXPECT_FALSE(set.apply(add(make_rule(10, 2, 0xffffffff, 5)), d));
  EXPECT_FALSE(set.apply({CommandOp::kChange, make_rule(10, 2, 0xffffffff, 6)}, d));
  EXPECT_TRUE(set.apply({CommandOp::kChange, make_rule(10, 2, 0xffffffff, 5)}, d));
}

TEST(RuleSet, DeleteByPrefRemovesTheInstanceAndWithoutPrefFlushesTheChain) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1)), d));
  ASSERT_TRUE(set.apply(add(make_rule(10, 2)), d));
  ASSERT_TRUE(set.apply(add(make_rule(20, 3)), d));
  ASSERT_TRUE(set.apply({CommandOp::kDelete, make_rule(10, 0, 0)}, d));
  EXPECT_EQ(set.size(), 1u);
  ASSERT_TRUE(set.apply({CommandOp::kDelete, make_rule(0, 0, 0)}, d));
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.apply({CommandOp::kDelete, make_rule(30, 0, 0)}, d));
}

TEST(RuleSet, ApplyAllIsAllOrNothing) {
  RuleSet set;
  Diagnostics d;
  ASSERT_TRUE(set.apply(add(make_rule(10, 1)), d));
  std::vector<Command> batch = {add(make_rule(20, 2)), add(make_rule(10, 1))};  // 2nd duplicates
  EXPECT_FALSE(set.apply_all(batch, d));
  EXPECT_EQ(set.size(), 1u);
}

TEST(EffectiveEthType, FollowsVlanEthtypesLikeFlSetKey) {
  Rule r;
  r.protocol = kEthPAll;
  EXPECT_FALSE(effective_eth_type(r));
  r.protocol = kIp;
  EXPECT_EQ(effective_eth_type(r), kIp);
  r.protocol = 0x8100;
  EXPECT_FALSE(effective_eth_type(r));
  r.match.set(Field::kVlanEthType, MaskedValue::from_u64(2, 0x88a8, 0xffff));
  EXPECT_FALSE(effective_eth_type(r));
  r.match.set(Field::kCvlanEthType, MaskedValue::from_u64(2, 0x86dd, 0xffff));
  EXPECT_EQ(effective_eth_type(r), 0x86dd);
}

}  // namespace
}  // namespace tc2xdp::ir
