// Every flower key and every action parses, prints, and parses back to an equal rule.
#include <gtest/gtest.h>

#include "tc_test_util.h"

namespace tc2xdp::frontend::tc {
namespace {

using testing::parse_ok;

class RoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTrip, ParsePrintParseIsStable) {
  const ir::Rule first = parse_ok(GetParam());
  const std::string printed = print_rule(first);
  const ir::Rule second = parse_ok(printed);
  EXPECT_TRUE(first.same_filter(second))
      << GetParam() << "\n  printed: " << printed << "\n  reprinted: " << print_rule(second);
  EXPECT_EQ(first.match, second.match) << printed;
  EXPECT_EQ(first.actions, second.actions) << printed;
  EXPECT_EQ(print_rule(second), printed);  // the printer is a fixed point
}

INSTANTIATE_TEST_SUITE_P(
    Keys, RoundTrip,
    ::testing::Values(
        "filter add dev eth0 ingress protocol all flower indev eth1",
        "filter add dev eth0 ingress protocol all flower dst_mac 00:11:22:33:44:55",
        "filter add dev eth0 ingress protocol all flower src_mac 00:11:22:00:00:00/24",
        "filter add dev eth0 ingress protocol all flower dst_mac "
        "01:00:00:00:00:00/01:00:00:00:00:01",
        "filter add dev eth0 ingress protocol 802.1q flower vlan_id 100 vlan_prio 3 vlan_ethtype "
        "ip",
        "filter add dev eth0 ingress protocol 802.1ad flower vlan_id 10 vlan_ethtype 802.1q "
        "cvlan_id 20 cvlan_prio 5 cvlan_ethtype ipv6",
        "filter add dev eth0 ingress protocol mpls_uc flower mpls_label 100 mpls_tc 3 mpls_bos 1 "
        "mpls_ttl 64",
        "filter add dev eth0 ingress protocol mpls_mc flower mpls lse depth 1 label 100 tc 2 "
        "lse depth 2 bos 1 ttl 9",
        "filter add dev eth0 ingress protocol ip flower ip_proto tcp",
        "filter add dev eth0 ingress protocol ip flower ip_proto udp",
        "filter add dev eth0 ingress protocol ip flower ip_proto sctp",
        "filter add dev eth0 ingress protocol ip flower ip_proto icmp",
        "filter add dev eth0 ingress protocol ipv6 flower ip_proto icmpv6",
        "filter add dev eth0 ingress protocol ip flower ip_proto 2f",
        "filter add dev eth0 ingress protocol ip flower ip_tos 0x10/0xfc ip_ttl 64",
        "filter add dev eth0 ingress protocol ipv6 flower ip_ttl 1/ff",
        "filter add dev eth0 ingress protocol ip flower src_ip 10.0.0.0/8 dst_ip 192.168.1.1",
        "filter add dev eth0 ingress protocol ip flower dst_ip 10.1.0.0/255.255.0.0",
        "filter add dev eth0 ingress protocol ipv6 flower src_ip 2001:db8::/32 dst_ip ::1",
        "filter add dev eth0 ingress protocol ip flower ip_proto tcp src_port 1024 dst_port 80",
        "filter add dev eth0 ingress protocol ip flower ip_proto udp dst_port 0x100/0xff00",
        "filter add dev eth0 ingress protocol ip flower ip_proto sctp src_port 1000-2000 "
        "dst_port 5-6",
        "filter add dev eth0 ingress protocol ip flower ip_proto tcp tcp_flags 0x2/0x12",
        "filter add dev eth0 ingress protocol ip flower ip_proto tcp tcp_flags 10",
        "filter add dev eth0 ingress protocol ip flower ip_proto icmp type 8 code 0",
        "filter add dev eth0 ingress protocol ipv6 flower ip_proto icmpv6 type 128/240 code 1/3",
        "filter add dev eth0 ingress protocol arp flower arp_tip 10.0.0.0/24 arp_sip 10.0.0.1 "
        "arp_op request arp_sha 00:11:22:33:44:55 arp_tha 00:00:00:00:00:00/ff:ff:ff:00:00:00",
        "filter add dev eth0 ingress protocol arp flower arp_op reply",
        "filter add dev eth0 ingress protocol rarp flower arp_op 1/255",
        "filter add dev eth0 ingress protocol ip flower ip_flags frag/nofirstfrag",
        "filter add dev eth0 ingress protocol ip flower ip_flags nofrag",
        "filter add dev eth0 ingress protocol ipv6 flower ip_flags firstfrag",
        "filter add dev eth0 ingress protocol ip flower enc_key_id 100 enc_dst_ip 10.0.0.1 "
        "enc_src_ip 10.0.0.0/16 enc_dst_port 4789 enc_tos 0x10/0xf0 enc_ttl 64",
        "filter add dev eth0 ingress protocol all flower enc_dst_ip 2001:db8::1 "
        "enc_src_ip 2001:db8::/64",
        "filter add dev eth0 ingress protocol ip flower ct_state +trk+est-new ct_zone 5 "
        "ct_mark 0x10/0xff",
        "filter add dev eth0 ingress protocol ip flower ct_state -trk ct_zone 1/0xf ct_mark 7",
        "filter add dev eth0 ingress protocol ip flower ct_state +trk+rel+rpl-inv",
        "filter add dev eth0 ingress protocol ip flower skip_sw verbose classid 1:10",
        "filter add dev eth0 ingress protocol ip flower skip_hw flowid 2:3 hw_tc 3",
        "filter add dev eth0 egress chain 3 pref 7 handle 0x5 protocol ip flower",
        "filter add dev eth0 parent 1:2 protocol 0x88b5 flower",
        "filter add dev eth0 root protocol all flower"));

INSTANTIATE_TEST_SUITE_P(
    Actions, RoundTrip,
    ::testing::Values(
        "filter add dev eth0 ingress protocol all flower action ok",
        "filter add dev eth0 ingress protocol all flower action pass index 3",
        "filter add dev eth0 ingress protocol all flower action drop",
        "filter add dev eth0 ingress protocol all flower action shot",
        "filter add dev eth0 ingress protocol all flower action continue",
        "filter add dev eth0 ingress protocol all flower action pipe",
        "filter add dev eth0 ingress protocol all flower action reclassify",
        "filter add dev eth0 ingress protocol all flower action goto chain 4",
        "filter add dev eth0 ingress protocol all flower action jump 1 action drop",
        "filter add dev eth0 ingress protocol all flower action trap",
        "filter add dev eth0 ingress protocol all flower action gact drop index 7",
        "filter add dev eth0 ingress protocol all flower action mirred egress redirect dev eth1",
        "filter add dev eth0 ingress protocol all flower action mirred ingress mirror dev eth1 "
        "index 2 action drop",
        "filter add dev eth0 ingress protocol all flower action mirred egress mirror dev eth1 pass",
        "filter add dev eth0 ingress protocol all flower action vlan pop",
        "filter add dev eth0 ingress protocol all flower action vlan push id 100 protocol 802.1ad "
        "priority 3 pipe index 4",
        "filter add dev eth0 ingress protocol all flower action vlan modify id 5 continue",
        "filter add dev eth0 ingress protocol all flower action vlan pop_eth",
        "filter add dev eth0 ingress protocol all flower action vlan push_eth "
        "dst_mac 00:11:22:33:44:55 src_mac 00:11:22:33:44:66",
        "filter add dev eth0 ingress protocol ip flower action pedit ex munge ip ttl decrement",
        "filter add dev eth0 ingress protocol ipv6 flower action pedit ex munge ip6 hoplimit "
        "decrement pipe",
        "filter add dev eth0 ingress protocol ip flower action pedit ex munge eth dst set "
        "00:11:22:33:44:55 munge eth src set 00:11:22:33:44:66 munge eth type set 0x800",
        "filter add dev eth0 ingress protocol ip flower action pedit ex munge ip src set 10.0.0.1 "
        "munge ip dst set 10.0.0.2 munge ip tos set 0x10 retain 0xfc munge ip ttl add 0x5",
        "filter add dev eth0 ingress protocol ip flower action pedit munge ip ttl set 10 "
        "munge ip dport set 80",
        "filter add dev eth0 ingress protocol ip flower action pedit ex munge tcp sport set 1000 "
        "munge tcp dport set 2000 munge tcp flags set 0x2 munge udp sport set 53 munge udp dport "
        "set 54",
        "filter add dev eth0 ingress protocol ipv6 flower action pedit ex munge ip6 src set "
        "2001::1 "
        "munge ip6 dst set ::2 munge ip6 traffic_class set 0x2e munge ip6 flow_lbl set 5 "
        "munge ip6 nexthdr preserve",
        "filter add dev eth0 ingress protocol ip flower action pedit munge offset 8 u8 set 0x40 "
        "munge offset 0 u32 set 0x45000000 munge offset 2 u16 clear",
        "filter add dev eth0 ingress protocol ip flower action pedit ex munge ip ihl set 5 pipe "
        "index 9",
        "filter add dev eth0 ingress protocol ip flower action csum iph and tcp",
        "filter add dev eth0 ingress protocol ip flower action csum ip4h icmp igmp udp udplite "
        "sctp pipe index 2",
        "filter add dev eth0 ingress protocol all flower action tunnel_key set src_ip 10.0.0.1 "
        "dst_ip 10.0.0.2 id 42 dst_port 4789 tos 0x10 ttl 64 nocsum",
        "filter add dev eth0 ingress protocol all flower action tunnel_key set src_ip 2001::1 "
        "dst_ip 2001::2 csum continue index 1",
        "filter add dev eth0 ingress protocol all flower action tunnel_key unset",
        "filter add dev eth0 ingress protocol all flower action police rate 1mbit burst 10k",
        "filter add dev eth0 ingress protocol all flower action police rate 100kbit burst 1500 "
        "mtu 2k peakrate 2mbit conform-exceed drop/pipe index 5",
        "filter add dev eth0 ingress protocol all flower action police pkts_rate 1000 "
        "pkts_burst 100 conform-exceed goto chain 2 / ok",
        "filter add dev eth0 ingress protocol all flower action police rate 8bit burst 1 drop",
        "filter add dev eth0 ingress protocol all flower action police rate 1mbit burst 10k/16 "
        "conform-exceed drop/ok",
        "filter add dev eth0 ingress protocol all flower action skbedit mark 5",
        "filter add dev eth0 ingress protocol all flower action skbedit mark 0x10/0xff "
        "priority 1:2 queue_mapping 3 ptype otherhost inheritdsfield drop index 8",
        "filter add dev eth0 ingress protocol ip flower action ct",
        "filter add dev eth0 ingress protocol ip flower action ct zone 5 index 3 pipe action goto "
        "chain 1",
        "filter add dev eth0 ingress protocol ip flower action ct commit force zone 2 mark "
        "0x5/0xff",
        "filter add dev eth0 ingress protocol ip flower action ct commit nat src addr "
        "10.0.0.1-10.0.0.9 port 1000-2000 pipe",
        "filter add dev eth0 ingress protocol ipv6 flower action ct commit nat dst addr 2001::1 "
        "pipe",
        "filter add dev eth0 ingress protocol ip flower action ct nat pipe",
        "filter add dev eth0 ingress protocol ip flower action ct clear",
        "filter add dev eth0 ingress protocol ip flower ip_proto tcp dst_port 80 action vlan push "
        "id 5 action pedit ex munge ip ttl decrement pipe action csum iph pipe action mirred "
        "egress "
        "redirect dev eth2"));

}  // namespace
}  // namespace tc2xdp::frontend::tc
