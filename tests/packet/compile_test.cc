// codegen::compile end to end: tc text -> plan -> BPF object -> BPF_PROG_TEST_RUN, checking
// verdicts, the last-match record and the per-rule counters.
#include "tc2xdp/codegen/compile.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "classbench.h"
#include "flow_frames.h"
#include "root_check.h"
#include "tc2xdp/frontend/tc.h"
#include "tc2xdp/plan/plan.h"
#include "tc2xdp/reference/interpreter.h"
#include "tc2xdp/runtime/bpf_object.h"
#include "tc2xdp/runtime/map_io.h"
#include "tc2xdp/runtime/rule_counters.h"
#include "tc2xdp/runtime/test_run.h"

namespace tc2xdp::testing {
namespace {

constexpr uint32_t kDrop = 1, kPass = 2, kRedirect = 4;
constexpr uint32_t kLoIfindex = 1;
constexpr uint32_t kOtherIfindex = 4242;  // resolvable name, but never the ingress device

std::optional<uint32_t> resolve(const std::string& name) {
  if (name == "lo") return kLoIfindex;
  if (name == "other") return kOtherIfindex;
  return std::nullopt;
}

struct Loaded {
  ir::RuleSet rules;
  plan::Plan plan;
  std::optional<runtime::BpfObject> object;
  int prog = -1, stats = -1, last_hit = -1, last = -1, redirect = -1;
  uint32_t verified = 0;

  // What the reference interpreter (the specification) says, given the compiler's punts.
  reference::Outcome expected(const std::vector<uint8_t>& frame, uint32_t ingress_ifindex) const {
    reference::Options options;
    options.resolve_device = resolve;
    options.max_chain_hops = static_cast<int>(plan.max_chain_hops);
    const plan::Plan* the_plan = &plan;
    options.is_punted = [the_plan](const ir::Rule& r) {
      return !the_plan->find(r.chain, r.pref, r.handle)->offloaded;
    };
    options.evaluated_match = [the_plan](const ir::Rule& r) {
      return plan::evaluated_match(r, *the_plan->find(r.chain, r.pref, r.handle));
    };
    return reference::classify(rules, frame, ingress_ifindex, options);
  }

  // Runs one frame and checks it against the reference; clears the per-CPU last-match record
  // first so its sum is this run's value.
  uint32_t run(const std::vector<uint8_t>& frame, uint32_t ingress_ifindex = 0) {
    const uint32_t verdict = run_only(frame, ingress_ifindex);
    // test_run without an ifindex arrives on the loopback device.
    const reference::Outcome want = expected(frame, ingress_ifindex ? ingress_ifindex : 1);
    const uint64_t want_last = want.matched ? want.matched->index + 1 : 0;
    EXPECT_EQ(last_match(), want_last) << "reference:\n" << want.explanation;
    // An empty devmap slot drops where the reference, knowing the device, redirects.
    if (want.verdict != reference::Verdict::kRedirect) {
      EXPECT_EQ(verdict, static_cast<uint32_t>(want.verdict)) << "reference:\n" << want.explanation;
    }
    return verdict;
  }

  uint32_t run_only(const std::vector<uint8_t>& frame, uint32_t ingress_ifindex = 0) {
    const int cpus = *runtime::possible_cpus();
    const uint32_t zero_key = 0;
    std::vector<uint8_t> zeros(size_t(cpus) * 8, 0);
    EXPECT_TRUE(runtime::update_elem(last, runtime::bytes_of(zero_key), zeros).ok());
    runtime::TestRunOptions options;
    options.ingress_ifindex = ingress_ifindex;
    Result<runtime::TestRunResult> result = runtime::test_run(prog, frame, options);
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    return result.ok() ? result->retval : ~0u;
  }
  // index + 1 of the rule that decided the last run, 0 for a miss.
  uint64_t last_match() const { return (*runtime::read_percpu_u64(last, 0, 1))[0]; }
  // packets, bytes, last hit (ns) of rule `index` (position in the rule set).
  std::vector<uint64_t> counters(size_t index) const {
    const auto mapped = runtime::StatsMap::open(stats);
    EXPECT_TRUE(mapped.ok()) << mapped.error().to_string();
    if (!mapped.ok()) return {0, 0, 0};
    const auto c = *runtime::read_rule_counters(*mapped, last_hit, plan.rules[index].stats_slot);
    return {c.packets, c.bytes, c.last_hit_ns};
  }
  uint64_t packets(size_t index) const { return counters(index)[0]; }
};

// tc batch text -> loaded program; nullptr (with a test failure) if any stage fails.
std::unique_ptr<Loaded> load(std::string_view text,
                             const std::function<void(plan::Plan&)>& adjust = {}) {
  auto loaded = std::make_unique<Loaded>();
  Diagnostics diags;
  if (!frontend::tc::load_rules(text, "test.tc", loaded->rules, diags)) {
    ADD_FAILURE() << "rules do not parse:\n" << diags.to_string();
    return nullptr;
  }
  plan::PlanOptions options;
  options.resolve_device = resolve;
  loaded->plan = plan::make_plan(loaded->rules, options, diags);
  if (adjust) adjust(loaded->plan);
  Result<codegen::BpfProgram> program = codegen::compile(loaded->rules, loaded->plan);
  if (!program.ok()) {
    ADD_FAILURE() << program.error().to_string();
    return nullptr;
  }
  Result<runtime::BpfObject> object = runtime::BpfObject::load(program->object);
  if (!object.ok()) {
    ADD_FAILURE() << object.error().to_string();
    return nullptr;
  }
  loaded->object.emplace(std::move(*object));
  loaded->prog = *loaded->object->program_fd(codegen::kProgramName);
  loaded->stats = *loaded->object->map_fd(codegen::kStatsMap);
  loaded->last_hit = *loaded->object->map_fd(codegen::kLastHitMap);
  loaded->last = *loaded->object->map_fd(codegen::kLastMatchMap);
  loaded->redirect = *loaded->object->map_fd(codegen::kRedirectMap);
  loaded->verified = runtime::verified_instructions(loaded->prog).value_or(0);
  return loaded;
}

std::string rule(std::string_view rest) {
  return "filter add dev eth0 ingress " + std::string(rest) + "\n";
}

constexpr std::array<uint8_t, 16> v6(std::initializer_list<uint8_t> head, uint8_t last) {
  std::array<uint8_t, 16> a{};
  size_t i = 0;
  for (uint8_t b : head) a[i++] = b;
  a[15] = last;
  return a;
}
constexpr auto kDoc6 = v6({0x20, 0x01, 0x0d, 0xb8}, 0x01);    // 2001:db8::1
constexpr auto kOther6 = v6({0x20, 0x01, 0x0d, 0xb9}, 0x02);  // 2001:db9::2

#define LOAD_OR_RETURN(var, text) \
  TC2XDP_REQUIRE_ROOT();          \
  auto var = load(text);          \
  ASSERT_NE(var, nullptr)

TEST(Compile, Ipv4PrefixesPortsAndRanges) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower dst_ip 10.1.0.0/16 ip_proto tcp dst_port 80 "
                         "action drop") +
                        rule("pref 20 protocol ip flower src_ip 192.168.0.0/24 ip_proto udp "
                             "src_port 1000-2000 action drop") +
                        rule("pref 30 protocol ip flower dst_ip 10.0.0.0/8 action pass"));
  auto tcp = [](uint32_t dst, uint16_t dport) {
    return FlowFrame().eth().type(0x0800).ipv4(ip4(1, 2, 3, 4), dst, 6).tcp(999, dport).bytes();
  };
  auto udp = [](uint32_t src, uint16_t sport) {
    return FlowFrame().eth().type(0x0800).ipv4(src, ip4(8, 8, 8, 8), 17).udp(sport, 53).bytes();
  };
  EXPECT_EQ(p->run(tcp(ip4(10, 1, 2, 3), 80)), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(tcp(ip4(10, 1, 2, 3), 81)), kPass);
  EXPECT_EQ(p->last_match(), 3u);
  EXPECT_EQ(p->run(tcp(ip4(10, 2, 0, 1), 80)), kPass);
  EXPECT_EQ(p->last_match(), 3u);
  EXPECT_EQ(p->run(tcp(ip4(11, 1, 2, 3), 80)), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  for (uint16_t port : {1000, 1500, 2000}) {
    EXPECT_EQ(p->run(udp(ip4(192, 168, 0, 77), port)), kDrop) << port;
    EXPECT_EQ(p->last_match(), 2u);
  }
  for (uint16_t port : {999, 2001, 65535, 0}) {
    EXPECT_EQ(p->run(udp(ip4(192, 168, 0, 77), port)), kPass) << port;
    EXPECT_EQ(p->last_match(), 0u);
  }
  EXPECT_EQ(p->run(udp(ip4(192, 168, 1, 77), 1500)), kPass);
  EXPECT_EQ(p->last_match(), 0u);

  std::vector<uint64_t> c = p->counters(0);
  EXPECT_EQ(c[0], 1u);
  EXPECT_EQ(c[1], 60u);  // frame bytes
  EXPECT_NE(c[2], 0u);   // last hit time
  EXPECT_EQ(p->packets(1), 3u);
  EXPECT_EQ(p->packets(2), 2u);
}

TEST(Compile, Ipv6AddressesAndExtensionHeaders) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ipv6 flower dst_ip 2001:db8::/32 ip_proto udp "
                         "dst_port 53 action drop") +
                        rule("pref 20 protocol ipv6 flower src_ip 2001:db9::2 ip_ttl 7 "
                             "action drop") +
                        rule("pref 30 protocol ipv6 flower ip_flags frag action pass"));
  auto base = [] { return FlowFrame().eth().type(0x86dd); };
  EXPECT_EQ(p->run(base().ipv6(kOther6, kDoc6, 17).udp(5, 53).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(base().ipv6(kOther6, kOther6, 17).udp(5, 53).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  // Through hop-by-hop and destination options headers to UDP.
  EXPECT_EQ(
      p->run(base().ipv6(kOther6, kDoc6, 0).ipv6_opts(60, 1).ipv6_opts(17).udp(5, 53).bytes()),
      kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  // A first fragment: flagged, but the kernel dissects no ports behind a fragment header.
  EXPECT_EQ(p->run(base().ipv6(kOther6, kDoc6, 44).ipv6_frag(17, 0, true).udp(5, 53).bytes()),
            kPass);
  EXPECT_EQ(p->last_match(), 3u);
  // Hop limit and source address.
  EXPECT_EQ(p->run(base().ipv6(kOther6, kOther6, 6, 0, 7).tcp(1, 2).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->run(base().ipv6(kOther6, kOther6, 6, 0, 8).tcp(1, 2).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, VlanAndQinQ) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol 802.1q flower vlan_id 5 vlan_prio 3 vlan_ethtype ip "
                         "dst_ip 10.0.0.1 action drop") +
                        rule("pref 20 protocol 802.1ad flower vlan_id 100 vlan_ethtype 802.1q "
                             "cvlan_id 20 cvlan_ethtype ip action drop") +
                        rule("pref 30 protocol ip flower action pass"));
  auto ip = [](FlowFrame f) {
    return f.type(0x0800).ipv4(ip4(1, 1, 1, 1), ip4(10, 0, 0, 1), 17).udp(1, 2).bytes();
  };
  EXPECT_EQ(p->run(ip(FlowFrame().eth().tag(0x8100, 5, 3))), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(ip(FlowFrame().eth().tag(0x8100, 5, 2))), kPass);
  EXPECT_EQ(p->last_match(), 0u);  // tagged: the protocol ip rule sees the TPID, not ip
  EXPECT_EQ(p->run(ip(FlowFrame().eth().tag(0x88a8, 100).tag(0x8100, 20))), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->run(ip(FlowFrame().eth().tag(0x88a8, 100).tag(0x8100, 21))), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->run(ip(FlowFrame().eth())), kPass);
  EXPECT_EQ(p->last_match(), 3u);
  // A tag cut short: no VLAN keys.
  EXPECT_EQ(p->run(FlowFrame().eth().tag(0x8100, 5, 3).truncated(16)), kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, Mpls) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol mpls_uc flower mpls_label 77 mpls_bos 1 action drop") +
                        rule("pref 20 protocol mpls_uc flower mpls lse depth 2 label 100 ttl 9 "
                             "action drop"));
  auto mpls = [] { return FlowFrame().eth().type(0x8847); };
  EXPECT_EQ(p->run(mpls().mpls(77, 0, true, 64).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(mpls().mpls(77, 0, false, 64).mpls(5, 0, true, 1).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->run(mpls().mpls(1, 0, false, 64).mpls(100, 0, true, 9).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  // Bottom of stack at depth 1: depth 2 is not part of the label stack.
  EXPECT_EQ(p->run(mpls().mpls(1, 0, true, 64).mpls(100, 0, true, 9).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, Arp) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol arp flower arp_op request arp_tip 10.0.0.1 "
                         "action drop") +
                        rule("pref 20 protocol arp flower arp_sip 10.0.0.9 action drop"));
  auto arp = [](uint16_t op, uint32_t sip, uint32_t tip, uint16_t hrd = 1) {
    return FlowFrame().eth().type(0x0806).arp(op, sip, tip, hrd).bytes();
  };
  EXPECT_EQ(p->run(arp(1, ip4(10, 0, 0, 2), ip4(10, 0, 0, 1))), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(arp(2, ip4(10, 0, 0, 2), ip4(10, 0, 0, 1))), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->run(arp(2, ip4(10, 0, 0, 9), ip4(10, 0, 0, 1))), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  // Not Ethernet/IPv4 ARP, or an opcode other than request/reply: no ARP keys.
  EXPECT_EQ(p->run(arp(1, ip4(10, 0, 0, 9), ip4(10, 0, 0, 1), 6)), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->run(arp(3, ip4(10, 0, 0, 9), ip4(10, 0, 0, 1))), kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, Icmp) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower ip_proto icmp type 8 code 0 action drop") +
                        rule("pref 20 protocol ipv6 flower ip_proto icmpv6 type 128 action drop"));
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 1).icmp(8, 0).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 1).icmp(0, 0).bytes()), kPass);
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x86dd).ipv6(kDoc6, kDoc6, 58).icmp(128, 0).bytes()),
            kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  // ICMP needs a whole 8-byte header.
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 1).icmp(8, 0).truncated(14 + 20 + 4)),
            kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, IpFlagsAndFragments) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower ip_proto udp dst_port 53 action drop") +
                        rule("pref 20 protocol ip flower ip_flags frag/nofirstfrag action pass") +
                        rule("pref 30 protocol ip flower ip_flags frag/firstfrag action drop") +
                        rule("pref 40 protocol ip flower ip_flags nofrag ip_ttl 64 action pass"));
  auto udp = [](uint16_t frag_off, uint8_t ttl = 64) {
    return FlowFrame().eth().type(0x0800).ipv4(1, 2, 17, frag_off, 0, ttl).udp(1, 53).bytes();
  };
  EXPECT_EQ(p->run(udp(0)), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  // Non-first fragment (offset 100): no ports, so rule 1 cannot match.
  EXPECT_EQ(p->run(udp(100)), kPass);
  EXPECT_EQ(p->last_match(), 2u);
  // First fragment (MF, offset 0): no ports either (cls_flower does not parse the first fragment).
  EXPECT_EQ(p->run(udp(0x2000)), kDrop);
  EXPECT_EQ(p->last_match(), 3u);
  // Unfragmented and DF: nofrag.
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 6, 0x4000).tcp(1, 1).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 4u);
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 6, 0x4000, 0, 3).tcp(1, 1).bytes()),
            kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, TcpFlagsAndMasks) {
  LOAD_OR_RETURN(p,
                 rule("pref 10 protocol ip flower ip_proto tcp tcp_flags 0x2/0x12 action drop") +
                     rule("pref 20 protocol ip flower ip_tos 0x20/0xf0 action drop") +
                     rule("pref 30 protocol ip flower dst_mac 02:00:00:00:00:02/ff:00:00:00:00:ff "
                          "src_ip 1.7.0.0/16 action drop"));
  auto tcp = [](uint16_t flags, uint8_t tos = 0, uint32_t src = ip4(9, 9, 9, 9)) {
    return FlowFrame().eth().type(0x0800).ipv4(src, 2, 6, 0, tos).tcp(1, 2, flags).bytes();
  };
  EXPECT_EQ(p->run(tcp(0x002)), kDrop);  // SYN
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(tcp(0x012)), kPass);  // SYN ACK
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->run(tcp(0x102)), kDrop);  // NS is outside the mask
  EXPECT_EQ(p->run(tcp(0x010, 0x2c)), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->run(tcp(0x010, 0x30)), kPass);
  EXPECT_EQ(p->run(tcp(0x010, 0, ip4(1, 7, 7, 2))), kDrop);
  EXPECT_EQ(p->last_match(), 3u);
  EXPECT_EQ(p->run(tcp(0x010, 0, ip4(1, 8, 7, 3))), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  // A TCP header with a data offset below 5 words carries no flags.
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 6).tcp(1, 2, 0x002, 4).bytes()),
            kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, PrefOrderAndContinue) {
  LOAD_OR_RETURN(p, rule("pref 20 protocol ip flower dst_ip 10.0.0.1 action drop") +
                        rule("pref 10 protocol ip flower dst_ip 10.0.0.0/24 action continue") +
                        rule("pref 15 protocol all flower action continue") +
                        rule("pref 30 protocol ip flower action pass"));
  // Classification order: pref 10 (continue), 15 (continue), 20 (drop), 30.
  const auto& order = p->rules.rules();
  ASSERT_EQ(order[0].pref, 10u);
  auto to = [](uint32_t dst) {
    return FlowFrame().eth().type(0x0800).ipv4(1, dst, 17).udp(1, 2).bytes();
  };
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 1))), kDrop);
  EXPECT_EQ(p->last_match(), 3u);
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 2))), kPass);
  EXPECT_EQ(p->last_match(), 4u);
  EXPECT_EQ(p->packets(0), 2u);  // continue rules count every hit
  EXPECT_EQ(p->packets(1), 2u);
  EXPECT_EQ(p->packets(2), 1u);
  EXPECT_EQ(p->packets(3), 1u);
  // An ARP frame: only the protocol-all continue rule, then a miss.
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0806).arp(1, 1, 2).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->packets(1), 3u);
}

TEST(Compile, ContinueLeavesItsPref) {
  // Within one pref the first hit decides; continue resumes at the next pref, so the same-pref
  // drop below is never tried (under either mask).
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower ip_proto udp action continue") +
                        rule("pref 10 protocol ip flower ip_proto udp dst_port 2 action drop") +
                        rule("pref 10 protocol ip flower ip_proto tcp action drop") +
                        rule("pref 20 protocol ip flower action pass"));
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 17).udp(1, 2).bytes()), kPass);
  EXPECT_EQ(p->last_match(), 4u);
  // Masks in creation order: the tcp drop shares the first rule's mask, so it is index 1.
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 6).tcp(1, 2).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->packets(2), 0u);  // the dst_port drop
}

TEST(Compile, GotoChain) {
  LOAD_OR_RETURN(p, rule("chain 0 pref 10 protocol ip flower ip_proto udp action goto chain 5") +
                        rule("chain 0 pref 20 protocol ip flower action drop") +
                        rule("chain 5 pref 10 protocol ip flower dst_ip 10.0.0.1 action drop") +
                        rule("chain 5 pref 20 protocol ip flower dst_ip 10.0.0.2 "
                             "action goto chain 7"));
  auto udp = [](uint32_t dst) {
    return FlowFrame().eth().type(0x0800).ipv4(1, dst, 17).udp(1, 2).bytes();
  };
  EXPECT_EQ(p->run(udp(ip4(10, 0, 0, 1))), kDrop);
  EXPECT_EQ(p->last_match(), 3u);
  // Goto, then a miss in chain 5: pass (not back to chain 0's drop).
  EXPECT_EQ(p->run(udp(ip4(10, 0, 0, 3))), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  // Goto an empty chain: a miss.
  EXPECT_EQ(p->run(udp(ip4(10, 0, 0, 2))), kPass);
  EXPECT_EQ(p->last_match(), 0u);
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 6).tcp(1, 2).bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->packets(0), 3u);
}

TEST(Compile, GotoHopBound) {
  TC2XDP_REQUIRE_ROOT();
  // chain 0 -> 1 -> ... -> 20, each an unconditional goto; chain 20 drops.
  std::string text;
  for (int c = 0; c < 20; ++c)
    text += rule("chain " + std::to_string(c) + " pref 1 protocol all flower action goto chain " +
                 std::to_string(c + 1));
  text += rule("chain 20 pref 1 protocol all flower action pass");
  auto frame = FlowFrame().eth().type(0x0800).ipv4(1, 2, 17).udp(1, 2).bytes();
  {
    auto p = load(text);  // the kernel's bound: 16 gotos
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->run(frame), kDrop);
    EXPECT_EQ(p->last_match(), 17u);  // the 17th goto (chain 16's rule) is one too many
  }
  {
    auto p = load(text, [](plan::Plan& plan) { plan.max_chain_hops = 32; });
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->run(frame), kPass);
    EXPECT_EQ(p->last_match(), 21u);
  }
}

TEST(Compile, Redirect) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower dst_ip 10.0.0.1 action mirred egress "
                         "redirect dev lo") +
                        rule("pref 20 protocol ip flower dst_ip 10.0.0.2 action mirred egress "
                             "redirect dev other"));
  ASSERT_EQ(p->plan.redirects.size(), 2u);
  auto to = [](uint32_t dst) {
    return FlowFrame().eth().type(0x0800).ipv4(1, dst, 17).udp(1, 2).bytes();
  };
  // Slots not filled yet: an empty devmap slot drops.
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 1))), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  const uint32_t slot = p->plan.redirects[0].slot, lo = kLoIfindex;
  Status set = runtime::update_elem(p->redirect, runtime::bytes_of(slot), runtime::bytes_of(lo));
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 1))), kRedirect);
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 2))), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->packets(0), 2u);
}

TEST(Compile, PuntedRulesPassAndShadow) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower dst_ip 10.0.0.1 action skbedit priority 1:1") +
                        rule("pref 20 protocol ip flower dst_ip 10.0.0.0/24 action drop") +
                        rule("pref 30 protocol ip flower indev lo dst_ip 10.0.1.1 action drop") +
                        rule("pref 40 protocol ip flower indev other action drop"));
  ASSERT_FALSE(p->plan.rules[0].offloaded);
  auto to = [](uint32_t dst) {
    return FlowFrame().eth().type(0x0800).ipv4(1, dst, 17).udp(1, 2).bytes();
  };
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 1))), kPass);  // the punt catches it first
  EXPECT_EQ(p->last_match(), 1u);
  EXPECT_EQ(p->run(to(ip4(10, 0, 0, 2))), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  // indev: test runs arrive on lo unless told otherwise.
  EXPECT_EQ(p->run(to(ip4(10, 0, 1, 1)), kLoIfindex), kDrop);
  EXPECT_EQ(p->last_match(), 3u);
  EXPECT_EQ(p->run(to(ip4(10, 0, 1, 2)), kLoIfindex), kPass);
  EXPECT_EQ(p->last_match(), 0u);
}

TEST(Compile, TruncatedFrames) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower dst_ip 10.0.0.1 action drop") +
                        rule("pref 20 protocol ip flower ip_proto tcp dst_port 0 action drop") +
                        rule("pref 30 protocol ip flower action pass"));
  const auto frame = FlowFrame().eth().type(0x0800).ipv4(1, ip4(10, 0, 0, 1), 6).tcp(0, 0);
  EXPECT_EQ(p->run(frame.bytes()), kDrop);
  EXPECT_EQ(p->last_match(), 1u);
  // IPv4 header cut: no IPv4 keys, but the ethertype is there.
  EXPECT_EQ(p->run(frame.truncated(14 + 19)), kPass);
  EXPECT_EQ(p->last_match(), 3u);
  // Ports cut: absent ports read as zero (the kernel's zeroed key), so dst_port 0 matches.
  auto no_dst = FlowFrame().eth().type(0x0800).ipv4(1, 2, 6).tcp(7, 7);
  EXPECT_EQ(p->run(no_dst.truncated(14 + 20 + 3)), kDrop);
  EXPECT_EQ(p->last_match(), 2u);
  EXPECT_EQ(p->run(no_dst.truncated(14 + 20 + 4)), kPass);
  EXPECT_EQ(p->last_match(), 3u);
  // ihl below 5: not an IPv4 header.
  EXPECT_EQ(
      p->run(FlowFrame().eth().type(0x0800).ipv4(1, ip4(10, 0, 0, 1), 6, 0, 0, 64, 4).bytes()),
      kPass);
  EXPECT_EQ(p->last_match(), 3u);
  // Only an Ethernet header.
  EXPECT_EQ(p->run(FlowFrame().eth().type(0x0800).truncated(14)), kPass);
  EXPECT_EQ(p->last_match(), 3u);
}

// Dissector corners where n_proto, TPIDs or presence are subtle; every run is also checked
// against the reference interpreter.
TEST(Compile, DissectorCornersAgreeWithReference) {
  LOAD_OR_RETURN(p, rule("pref 10 protocol ip flower dst_ip 10.0.0.1 action drop") +
                        rule("pref 20 protocol 802.1q flower vlan_ethtype ip action drop") +
                        rule("pref 30 protocol 802.1q flower action pass") +
                        rule("pref 40 protocol 802.1ad flower vlan_ethtype 802.1q action drop") +
                        rule("pref 50 protocol ip flower ip_proto udp action pass") +
                        rule("pref 60 protocol all flower skip_sw action drop") +
                        rule("pref 70 protocol ipv6 flower ip_proto tcp dst_port 80 action drop") +
                        rule("pref 80 protocol 0x8864 flower action drop") +
                        rule("pref 90 protocol all flower action continue"));
  auto ip = [] { return FlowFrame().type(0x0800).ipv4(1, ip4(10, 0, 0, 1), 17).udp(1, 2); };
  // MPLS in IP: n_proto becomes MPLS, so protocol ip + dst_ip does not match.
  p->run(FlowFrame().eth().type(0x0800).ipv4(1, ip4(10, 0, 0, 1), 137).mpls(1, 0, true, 1).bytes());
  // Three tags: walked, only two recorded; n_proto behind all of them.
  p->run(FlowFrame()
             .eth()
             .tag(0x8100, 1)
             .tag(0x8100, 2)
             .tag(0x8100, 3)
             .type(0x0800)
             .ipv4(1, 2, 17)
             .udp(1, 2)
             .bytes());
  p->run(FlowFrame().eth().tag(0x8100, 1).type(0x0800).ipv4(1, 2, 17).udp(1, 2).bytes());
  p->run(FlowFrame().eth().tag(0x88a8, 1).tag(0x8100, 2).type(0x86dd).bytes());
  p->run(FlowFrame().eth().tag(0x88a8, 1).tag(0x88a8, 2).type(0x86dd).bytes());
  p->run(FlowFrame().eth().tag(0x8100, 1).truncated(15));
  p->run(FlowFrame().eth().tag(0x8100, 1).truncated(17));
  // PPPoE session carrying IPv4: n_proto is ip, the outer protocol PPPoE.
  p->run(FlowFrame()
             .eth()
             .type(0x8864)
             .raw({0x11, 0, 0, 1, 0, 30, 0, 0x21})
             .ipv4(1, 2, 17)
             .udp(1, 2)
             .bytes());
  p->run(FlowFrame().eth().type(0x8864).raw({0x11, 0, 0, 1, 0, 30, 0, 0x99}).bytes());
  // HSR tag then IPv4.
  p->run(FlowFrame()
             .eth()
             .type(0x892f)
             .raw({0, 1, 0, 2})
             .type(0x0800)
             .ipv4(1, 2, 17)
             .udp(1, 2)
             .bytes());
  // 802.3 length field and raw IPX.
  p->run(FlowFrame().eth().type(0x0040).raw({0xff, 0xff}).bytes());
  p->run(FlowFrame().eth().type(0x0040).raw({0xaa, 0xaa}).bytes());
  // IPv6: options behind a fragment are not walked; routing header to TCP; truncated options.
  p->run(FlowFrame().eth().type(0x86dd).ipv6(kDoc6, kDoc6, 43).ipv6_opts(6, 2).tcp(1, 80).bytes());
  p->run(FlowFrame().eth().type(0x86dd).ipv6(kDoc6, kDoc6, 0).truncated(14 + 40 + 1));
  std::vector<uint8_t> many = FlowFrame().eth().type(0x86dd).ipv6(kDoc6, kDoc6, 60).bytes(0);
  for (int i = 0; i < 16; ++i) {
    auto opts = FlowFrame().ipv6_opts(i == 15 ? 6 : 60).bytes(0);
    many.insert(many.end(), opts.begin(), opts.end());
  }
  auto tcp = FlowFrame().tcp(1, 80).bytes(0);
  many.insert(many.end(), tcp.begin(), tcp.end());
  p->run(many);
  // The link loop's budget: IPv4 behind 14, 15 and 16 tags (15 "again"s, then dissection ends).
  for (int tags : {14, 15, 16}) {
    FlowFrame frame = FlowFrame().eth();
    for (int i = 0; i < tags; ++i) frame.tag(i % 2 ? 0x8100 : 0x88a8, static_cast<uint16_t>(i + 1));
    p->run(frame.type(0x0800).ipv4(1, ip4(10, 0, 0, 1), 17).udp(1, 2).bytes());
  }
  // Paths around the link loop mixed: a tag, HSR, a tag (recorded as the inner one), PPPoE.
  p->run(FlowFrame()
             .eth()
             .tag(0x88a8, 7)
             .type(0x892f)
             .raw({0, 1, 0, 2})
             .tag(0x8100, 8)
             .type(0x8864)
             .raw({0x11, 0, 0, 1, 0, 30, 0, 0x21})
             .ipv4(1, ip4(10, 0, 0, 1), 17)
             .udp(1, 2)
             .bytes());
  // IPv4 with options, and a fragment's tos/ttl.
  p->run(
      FlowFrame().eth().type(0x0800).ipv4(1, ip4(10, 0, 0, 1), 6, 0, 0, 64, 7).tcp(1, 80).bytes());
  p->run(FlowFrame().eth().type(0x0800).ipv4(1, 2, 17, 0x2000).udp(1, 2).bytes());
  // (Runts cannot be test-run: BPF_PROG_TEST_RUN wants at least an Ethernet header.)
  p->run(ip().bytes());  // untagged, no Ethernet header: starts with the type field
  (void)ip;
}

// ClassBench acl1 as tc rules: the first `count` filters.
std::string classbench_rules(size_t count) {
  std::ifstream in(TC2XDP_SOURCE_DIR "/../shared/data/classbench/acl1_1k");
  std::string line, text, error;
  size_t n = 0;
  while (n < count && std::getline(in, line)) {
    auto filter = classbench::parse_line(line, error);
    if (!filter) continue;
    ++n;
    text += classbench::to_tc(*filter, uint32_t(n), "eth0", classbench::ActionPolicy::kAlternate) +
            "\n";
  }
  return text;
}

TEST(Compile, ClassbenchAclLoadsAtScale) {
  TC2XDP_REQUIRE_ROOT();
  for (size_t count : {10, 100, 1000}) {
    std::string text = classbench_rules(count);
    ASSERT_FALSE(text.empty()) << "no ClassBench data";
    auto p = load(text);
    ASSERT_NE(p, nullptr) << count << " rules";
    std::cout << "[ classbench ] acl1_1k first " << p->rules.size() << " rules: " << p->verified
              << " verified instructions\n";
    EXPECT_GT(p->verified, 0u);
    // A frame no rule matches passes; a frame built from rule 1 hits rule 1.
    EXPECT_EQ(p->run(FlowFrame().eth().type(0x86dd).ipv6(kDoc6, kDoc6, 17).udp(1, 2).bytes()),
              kPass);
    EXPECT_EQ(p->last_match(), 0u);
  }
}

}  // namespace
}  // namespace tc2xdp::testing
