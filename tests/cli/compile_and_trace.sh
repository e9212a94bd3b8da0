#!/usr/bin/env bash
# `tc2xdp compile` writes an object bpftool loads, and shows IR, assembly and the plan;
# `tc2xdp trace` runs a pcap through the program and the reference and agrees with it.
set -euo pipefail
build=$1 src=$2
t2x=$build/tc2xdp
tmp=$(mktemp -d)
fs=$tmp/bpffs
cleanup() { umount "$fs" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

cat >"$tmp/rules.tc" <<'RULES'
filter add dev eth0 ingress pref 10 protocol ip flower ip_proto udp dst_port 53 action drop
filter add dev eth0 ingress pref 20 protocol ip flower ip_proto tcp dst_port 80 action continue
filter add dev eth0 ingress pref 30 protocol ip flower ip_proto tcp action goto chain 5
filter add dev eth0 ingress chain 5 pref 1 protocol ip flower dst_ip 10.9.0.0/16 action pass
filter add dev eth0 ingress pref 40 protocol ip flower ip_proto udp dst_port 9 action mirred egress redirect dev lo
filter add dev eth0 ingress pref 50 protocol ip flower ip_proto udp dst_port 7 action skbedit priority 1:1
filter add dev eth0 ingress pref 60 protocol ip flower ip_proto udp dst_port 8 action vlan push id 9 pipe action pedit ex munge ip ttl set 9 pipe action csum iph and udp pipe action pass
RULES

# The object loads with bpftool (a private bpffs, so nothing is left pinned).
"$t2x" compile "$tmp/rules.tc" -o "$tmp/rules.o" 2>"$tmp/warnings"
grep -q "rules.tc:6:[0-9]*: warning: filter not offloaded: skbedit priority" "$tmp/warnings" ||
  { cat "$tmp/warnings"; echo "FAIL: no located punt warning" >&2; exit 1; }
mkdir "$fs" && mount -t bpf bpf "$fs"
bpftool prog load "$tmp/rules.o" "$fs/prog"
# (Output goes to variables first: grep -q closing a pipe early would trip pipefail.)
shown=$(bpftool prog show pinned "$fs/prog")
grep -q "xdp" <<<"$shown" || { echo "FAIL: not an xdp program: $shown" >&2; exit 1; }

llvm=$("$t2x" compile "$tmp/rules.tc" --emit llvm 2>/dev/null)
grep -q 'section "xdp"' <<<"$llvm" || { echo "FAIL: no xdp section in the IR" >&2; exit 1; }
asm=$("$t2x" compile "$tmp/rules.tc" --emit asm 2>/dev/null)
grep -qE '^\s+exit' <<<"$asm" || { echo "FAIL: no BPF exit in the assembly" >&2; exit 1; }
plan=$("$t2x" compile "$tmp/rules.tc" --emit plan 2>/dev/null)
for want in "pref 10 handle 0x1 -> drop" "pref 20 handle 0x1 -> continue" "-> goto chain 5" \
            "-> redirect dev lo" "-> punt (skbedit priority sets skb->priority" \
            "-> pass after [vlan push 0x8100 id 9] [pedit ip4+8/1 set 0x09;] [csum 0x11]"; do
  grep -qF -- "$want" <<<"$plan" || { echo "$plan"; echo "FAIL: plan lacks '$want'" >&2; exit 1; }
done

# A pcap with a frame for each path: drop, continue then goto then pass, redirect, punt,
# rewrite, miss.
/usr/bin/python3 - "$tmp/in.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, TCP, UDP, wrpcap
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
wrpcap(sys.argv[1], [
    e / IP(dst="10.1.0.1") / UDP(dport=53),
    e / IP(dst="10.9.1.1") / TCP(dport=80),
    e / IP(dst="10.1.0.1") / UDP(dport=9),
    e / IP(dst="10.1.0.1") / UDP(dport=7),
    e / IP(dst="10.1.0.1", ttl=64, chksum=0x1234) / UDP(dport=8),
    e / IP(dst="10.1.0.1") / UDP(dport=1234),
])
PY
"$t2x" trace "$tmp/rules.tc" --pcap "$tmp/in.pcap" --json >"$tmp/trace.json" 2>/dev/null
/usr/bin/python3 - "$tmp/trace.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
expect = [("XDP_DROP", 0, 10, 1, None), ("XDP_PASS", 5, 1, 1, None), ("XDP_REDIRECT", 0, 40, 1, 1),
          ("XDP_PASS", 0, 50, 1, None), ("XDP_PASS", 0, 60, 1, None),
          ("XDP_PASS", None, None, None, None)]
assert len(lines) == len(expect), lines
for got, (verdict, chain, pref, handle, redirect) in zip(lines, expect):
    assert set(got) >= {"verdict", "chain", "pref", "handle", "redirect_ifindex", "output", "agree"}, got
    assert (got["verdict"], got["chain"], got["pref"], got["handle"], got["redirect_ifindex"]) == \
        (verdict, chain, pref, handle, redirect), got
    assert got["agree"] is True, got
    assert len(got["output"]) >= 2 * 42, got
# The rewrite: a tag pushed (the frame grew by 4), TTL 9, and an IPv4 checksum fixed from a bad one.
rewritten = bytes.fromhex(lines[4]["output"])
assert rewritten[12:16] == bytes.fromhex("81000009"), rewritten.hex()
assert rewritten[18 + 8] == 9, rewritten.hex()
words = sum(int.from_bytes(rewritten[18 + i:20 + i], "big") for i in range(0, 20, 2))
assert (words & 0xffff) + (words >> 16) == 0xffff, rewritten.hex()
print("trace json: %d packets as expected" % len(lines))
PY
"$t2x" trace "$tmp/rules.tc" --pcap "$tmp/in.pcap" >"$tmp/trace.txt" 2>/dev/null
grep -q "^6 packets, 0 disagreements" "$tmp/trace.txt" || { cat "$tmp/trace.txt"; exit 1; }
echo "compile and trace: ok"
