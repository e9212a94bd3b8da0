#!/usr/bin/python3
"""Sends the demo's traffic out of one interface: a different number of frames aimed at each rule
of examples/edge-acl.tc, and prints {pref: frames sent} as JSON for the demo's check."""
import json
import sys

from scapy.all import ICMP, IP, UDP, TCP, Dot1Q, Ether, IPv6, Raw, conf, sendp

conf.verb = 0
iface = sys.argv[1]
server = "10.200.0.2"
eth = Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0b:01")

# pref -> (frame, how many); counts differ so a mixed-up counter cannot pass.
plan = {
    10: (IP(src="10.200.7.7", dst=server) / ICMP(type=8, code=0), 3),
    11: (IP(src="10.200.7.7", dst=server) / ICMP(type=0), 4),
    20: (IP(src="10.200.1.5", dst=server) / TCP(sport=40000, dport=22, flags="S"), 5),
    21: (IP(src="10.200.7.7", dst=server) / TCP(sport=40001, dport=22, flags="S"), 6),
    30: (IP(src="10.200.7.7", dst=server) / TCP(sport=40002, dport=80, flags="S"), 7),
    31: (IP(src="10.200.7.7", dst=server) / TCP(sport=40003, dport=8042, flags="S"), 8),
    40: (IP(src="10.200.9.9", dst=server) / UDP(sport=5000, dport=1234) / Raw(b"x" * 32), 9),
    50: (IP(src="10.200.7.7", dst="10.200.2.50") / UDP(sport=5514, dport=514) / Raw(b"<13>demo"), 10),
    60: (Dot1Q(vlan=100) / IP(src="10.200.7.7", dst=server) / UDP(sport=1, dport=2), 11),
    70: (IPv6(src="fd00:200::7", dst="fd00:200::2") / UDP(sport=5353, dport=53), 12),
}
sent = {}
for pref, (payload, count) in plan.items():
    sendp([eth / payload] * count, iface=iface)
    sent[pref] = count
# Frames no rule decides: they go on to the server's stack and are counted nowhere.
sendp([eth / IP(src="10.200.7.7", dst=server) / UDP(sport=9, dport=9)] * 5, iface=iface)
print(json.dumps(sent))
