// The differential harness's generators checked against the front end and the reference: every
// generated batch loads and means what the generator says, generation is reproducible, and
// targeted frames / near misses land where they are aimed.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "common/packet_gen.h"
#include "common/reproducer.h"
#include "common/rule_gen.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/reference/interpreter.h"

namespace tc2xdp::testing::gen {
namespace {

constexpr Profile kProfiles[] = {Profile::kSmall, Profile::kMedium, Profile::kClassbench};
constexpr uint64_t kSeeds = 50;

bool load(const GenRuleSet& set, ir::RuleSet& out) {
  Diagnostics diags;
  const bool ok = frontend::tc::load_rules(set.text, "gen.tc", out, diags);
  EXPECT_TRUE(ok && !diags.has_errors())
      << "seed " << set.seed << " profile " << profile_name(set.profile) << "\n"
      << diags.to_string() << "\n"
      << set.text;
  return ok && !diags.has_errors();
}

reference::Options reference_options() {
  reference::Options o;
  o.resolve_device = [](const std::string& n) { return resolve_gen_device(n); };
  return o;
}

using Identity = std::tuple<uint32_t, uint32_t, uint32_t>;  // chain, pref, handle

std::map<Identity, size_t> classification_positions(const ir::RuleSet& rs) {
  std::map<Identity, size_t> pos;
  for (size_t i = 0; i < rs.rules().size(); ++i) {
    const auto& r = rs.rules()[i];
    pos[{r.chain, r.pref, r.handle}] = i;
  }
  return pos;
}

TEST(GeneratorRules, EveryBatchLoadsAndMeansWhatTheGeneratorSays) {
  for (Profile profile : kProfiles) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const GenRuleSet set = generate_rules(seed, {.profile = profile});
      ASSERT_FALSE(set.rules.empty());
      ir::RuleSet rs;
      if (!load(set, rs)) continue;
      ASSERT_EQ(rs.size(), set.rules.size()) << set.text;
      for (const GenRule& g : set.rules) {
        const ir::Rule* parsed = rs.find(g.chain, g.pref, g.handle);
        ASSERT_NE(parsed, nullptr) << "line " << g.line_no << ": " << g.line;
        EXPECT_EQ(parsed->protocol, g.protocol) << g.line;
        EXPECT_TRUE(parsed->match == g.match)
            << "the generator's match differs from the parsed one for\n  " << g.line
            << "\nparsed back as\n  " << frontend::tc::print_rule(*parsed);
        EXPECT_EQ(parsed->origin.line, g.line_no) << g.line;
      }
    }
  }
}

TEST(GeneratorRules, SameSeedSameOutput) {
  for (Profile profile : kProfiles) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const GenRuleSet a = generate_rules(seed, {.profile = profile});
      const GenRuleSet b = generate_rules(seed, {.profile = profile});
      ASSERT_EQ(a.text, b.text);
      const auto fa = generate_frames(seed, a, 100);
      const auto fb = generate_frames(seed, b, 100);
      ASSERT_EQ(fa.size(), fb.size());
      for (size_t i = 0; i < fa.size(); ++i) {
        ASSERT_EQ(fa[i].bytes, fb[i].bytes) << "seed " << seed << " frame " << i;
        ASSERT_EQ(fa[i].ifindex, fb[i].ifindex);
      }
    }
  }
  EXPECT_NE(generate_rules(1).text, generate_rules(2).text);
}

TEST(GeneratorRules, CoversTheFlowerVocabulary) {
  std::string all;
  size_t shared_prefs = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const GenRuleSet set = generate_rules(seed, {.profile = Profile::kMedium});
    all += set.text;
    std::map<std::pair<uint32_t, uint32_t>, int> per_instance;
    for (const auto& g : set.rules) shared_prefs += ++per_instance[{g.chain, g.pref}] == 2;
  }
  EXPECT_GT(shared_prefs, 0u) << "no (chain, pref) holds two filters";
  for (const char* word : {" protocol ip ",
                           " protocol ipv6 ",
                           " protocol 802.1q ",
                           " protocol 802.1ad ",
                           " protocol mpls_uc ",
                           " protocol arp ",
                           " protocol all ",
                           " chain 3 ",
                           " src_ip ",
                           " dst_ip ",
                           "/255.",
                           " dst_mac ",
                           " src_mac ",
                           "/ff:ff:ff:00:00:00",
                           " vlan_id ",
                           " vlan_prio ",
                           " vlan_ethtype 802.1q ",
                           " cvlan_id ",
                           " cvlan_ethtype ",
                           " mpls_label ",
                           " mpls lse depth ",
                           " bos 1",
                           " arp_op ",
                           " arp_sip ",
                           " arp_tha ",
                           " ip_proto sctp ",
                           " ip_proto icmpv6 ",
                           " ip_proto 0x2f ",
                           " dst_port 1024-",
                           "-65535 ",
                           " src_port ",
                           "/0xff00",
                           " tcp_flags ",
                           " type ",
                           " code ",
                           " ip_tos ",
                           " ip_ttl ",
                           " ip_flags frag ",
                           " ip_flags nofirstfrag ",
                           " indev ",
                           " ct_state ",
                           " enc_key_id ",
                           " action goto chain ",
                           " action continue",
                           " action pipe action drop",
                           " mirred egress redirect dev veth1",
                           " action vlan pop_eth",
                           " action skbedit priority 1:1",
                           " action reclassify",
                           " action vlan push id ",
                           " action vlan pop pipe",
                           " action vlan modify id ",
                           " munge ip dst set ",
                           " munge ip6 src set ",
                           " munge tcp dport ",
                           " munge ip ttl dec",
                           " action csum ",
                           " action skbedit mark ",
                           " action mirred egress redirect dev veth1\n"}) {
    EXPECT_NE(all.find(word), std::string::npos) << "no generated line contains '" << word << "'";
  }
}

TEST(GeneratorRules, ClassbenchIsIpv4FiveTupleInChainZero) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const GenRuleSet set = generate_rules(seed, {.profile = Profile::kClassbench});
    EXPECT_GE(set.rules.size(), 100u);
    for (const auto& g : set.rules) {
      EXPECT_EQ(g.chain, 0u);
      EXPECT_EQ(g.protocol, 0x0800);
      EXPECT_TRUE(g.effect == Effect::kDrop || g.effect == Effect::kPass) << g.line;
      EXPECT_TRUE(g.match.mpls.empty() && !g.match.has(ir::Field::kDstMac)) << g.line;
    }
  }
}

TEST(GeneratorFrames, EveryKindIsProduced) {
  const GenRuleSet set = generate_rules(7, {.profile = Profile::kMedium});
  std::map<FrameKind, size_t> kinds;
  for (const auto& f : generate_frames(7, set, 2000)) {
    ++kinds[f.kind];
    if (f.kind == FrameKind::kRunt) {
      EXPECT_LT(f.bytes.size(), 14u);
    }
    EXPECT_TRUE(f.ifindex >= 1 && f.ifindex <= 4);
  }
  for (FrameKind k : {FrameKind::kTargeted, FrameKind::kNearMiss, FrameKind::kRandom,
                      FrameKind::kTruncated, FrameKind::kBadLength, FrameKind::kRunt})
    EXPECT_GT(kinds[k], 0u) << frame_kind_name(k);
}

// Targeted frames must meet their rule's match (the dissector reads what the generator wrote), and
// classification must reach the rule or end on an earlier one. Rules keyed on ct/enc state cannot
// be aimed at: XDP frames carry none.
TEST(GeneratorFrames, TargetedFramesHitTheirRule) {
  const reference::Options options = reference_options();
  for (Profile profile : kProfiles) {
    size_t total = 0, meets = 0, exact = 0, earlier = 0, reported = 0;
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const GenRuleSet set = generate_rules(seed, {.profile = profile});
      ir::RuleSet rs;
      if (!load(set, rs)) continue;
      const auto positions = classification_positions(rs);
      Rand r(seed * 7919);
      for (size_t n = 0; n < 100; ++n) {
        const size_t index = r.below(set.rules.size());
        const GenRule& g = set.rules[index];
        if (g.punt_match) continue;
        const GenFrame f = targeted_frame(r, set, index);
        const ir::Rule& rule = *rs.find(g.chain, g.pref, g.handle);
        const size_t target_pos = positions.at({g.chain, g.pref, g.handle});
        ++total;
        const auto key = reference::dissect(f.bytes, f.ifindex);
        const bool met = reference::matches(rule, key, options);
        meets += met;
        if (!met && reported++ < 5)
          ADD_FAILURE() << "targeted frame does not meet its rule\n  " << g.line << "\n"
                        << reference::describe(key) << "\n"
                        << reproducer(set, f);
        const auto out = reference::classify(rs, f.bytes, f.ifindex, options);
        bool hit = false;
        for (const auto& h : out.hits)
          hit |= h.chain == g.chain && h.pref == g.pref && h.handle == g.handle;
        if (hit) {
          ++exact;
        } else if (!out.hits.empty() && out.hits.back().index < target_pos) {
          ++earlier;  // classification ended before the target: on its goto path or a rule before
        }
      }
    }
    const double meet_ratio = double(meets) / double(total);
    const double exact_ratio = double(exact) / double(total);
    const double reached_ratio = double(exact + earlier) / double(total);
    std::printf(
        "[ targeting ] %-10s %zu frames: meet match %.3f, hit target %.3f, "
        "hit target or an earlier rule %.3f\n",
        profile_name(profile), total, meet_ratio, exact_ratio, reached_ratio);
    EXPECT_EQ(meets, total) << profile_name(profile);
    EXPECT_GT(exact_ratio, 0.5) << profile_name(profile);
    EXPECT_GT(reached_ratio, 0.85) << profile_name(profile);
  }
}

// A near miss changes one key of its rule just past what the rule accepts.
TEST(GeneratorFrames, NearMissesMissTheirRule) {
  const reference::Options options = reference_options();
  size_t total = 0, reported = 0;
  for (Profile profile : {Profile::kSmall, Profile::kMedium, Profile::kClassbench}) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const GenRuleSet set = generate_rules(seed, {.profile = profile});
      ir::RuleSet rs;
      if (!load(set, rs)) continue;
      Rand r(seed * 104729);
      for (size_t n = 0; n < 60; ++n) {
        const size_t index = r.below(set.rules.size());
        const GenRule& g = set.rules[index];
        auto f = near_miss_frame(r, set, index);
        if (!f) continue;
        ++total;
        const ir::Rule& rule = *rs.find(g.chain, g.pref, g.handle);
        const auto key = reference::dissect(f->bytes, f->ifindex);
        if (reference::matches(rule, key, options) && reported++ < 5)
          ADD_FAILURE() << "near miss meets its rule\n  " << g.line << "\n"
                        << reference::describe(key) << "\n"
                        << reproducer(set, *f);
      }
    }
  }
  std::printf("[ near miss ] %zu frames, %zu meet their rule\n", total, reported);
  EXPECT_GT(total, 1000u);
}

// Malformed frames must not crash the reference, and runts never match.
TEST(GeneratorFrames, MalformedFramesClassify) {
  const reference::Options options = reference_options();
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const GenRuleSet set = generate_rules(seed, {.profile = Profile::kSmall});
    ir::RuleSet rs;
    if (!load(set, rs)) continue;
    const PacketMix mix{.targeted = 0, .near_miss = 0, .random = 0};
    for (const auto& f : generate_frames(seed, set, 200, mix)) {
      const auto out = reference::classify(rs, f.bytes, f.ifindex, options);
      if (f.kind == FrameKind::kRunt) {
        EXPECT_FALSE(out.matched.has_value()) << reproducer(set, f);
      }
    }
  }
}

}  // namespace
}  // namespace tc2xdp::testing::gen
