#!/usr/bin/env bash
# The demo: a client, a server and a log collector in throwaway network namespaces, joined by veth.
# examples/edge-acl.tc is compiled to XDP and attached to the server's port; real frames aimed at
# every rule are sent from the client; `tc2xdp show -s` must count exactly what was sent, and the
# redirected syslog frames must arrive in the collector's namespace. Everything is removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, XDP)" >&2; exit 1; }
[ -x build/tc2xdp ] || tools/build.sh
t2x=build/tc2xdp
py=/usr/bin/python3  # Debian's interpreter, which has scapy

cleanup() {
  $t2x -n t2x-srv detach t2xb0 >/dev/null 2>&1 || $t2x detach t2xb0 >/dev/null 2>&1 || true
  $t2x -n t2x-col detach t2xc0 >/dev/null 2>&1 || $t2x detach t2xc0 >/dev/null 2>&1 || true
  for ns in t2x-cli t2x-srv t2x-col; do ip netns del $ns 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup

echo "== topology: t2x-cli [t2xa0] <-> [t2xb0] t2x-srv [t2xb1] <-> [t2xc0] t2x-col"
for ns in t2x-cli t2x-srv t2x-col; do
  ip netns add $ns
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n $ns link set lo up
done
ip link add t2xa0 netns t2x-cli type veth peer name t2xb0 netns t2x-srv
ip link add t2xb1 netns t2x-srv type veth peer name t2xc0 netns t2x-col
ip -n t2x-cli link set t2xa0 address 02:00:00:00:0a:01 up
ip -n t2x-srv link set t2xb0 address 02:00:00:00:0b:01 up
ip -n t2x-srv link set t2xb1 up
ip -n t2x-col link set t2xc0 up
ip -n t2x-srv addr add 10.200.0.2/16 dev t2xb0

echo "== check and compile"
$t2x check examples/edge-acl.tc
$t2x compile examples/edge-acl.tc --emit plan | sed 's/^/   /'

echo "== attach"
$t2x -n t2x-srv attach t2xb0 examples/edge-acl.tc
# A veth delivers redirected frames only if the receiving peer runs XDP: count them there.
echo "filter add dev t2xc0 ingress pref 1 protocol ip flower ip_proto udp dst_port 514 action pass" \
  >"${TMPDIR:-/tmp}/t2x-collector.tc"
$t2x -n t2x-col attach t2xc0 "${TMPDIR:-/tmp}/t2x-collector.tc"
$t2x -n t2x-srv status

echo "== traffic from the client"
sent=$(ip netns exec t2x-cli $py tools/demo_traffic.py t2xa0)
echo "   sent per pref: $sent"
sleep 0.5

echo "== tc2xdp show t2xb0 -s"
$t2x -n t2x-srv show t2xb0 -s
shown=$($t2x -n t2x-srv show t2xb0 -s -j)
collected=$($t2x -n t2x-col show t2xc0 -s -j | $py -c 'import json,sys; print(json.load(sys.stdin)[0]["options"]["actions"][0]["stats"]["packets"])')
echo "== check"
$py tools/demo_check.py "$sent" "$shown" "$collected"
