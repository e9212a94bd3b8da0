#!/usr/bin/env bash
# `tc2xdp -batch -` reads stdin, in-process and through a daemon (on a private socket, in a
# private namespace), with the same located errors and exit status either way; a client in
# another namespace runs the batch itself from the stdin it read.
set -euo pipefail
build=$1
t2x=$build/tc2xdp
tmp=$(mktemp -d)
ns=t2xcli-bsd-$$
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  TC2XDP_NO_DAEMON=1 "$t2x" -n "$ns" detach bsd1 >/dev/null 2>&1 || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip netns add "$ns"
ip -n "$ns" link add bsd0 type veth peer name bsd1
ip -n "$ns" link set bsd0 up
ip -n "$ns" link set bsd1 up

bad='filter add dev bsd1 ingress pref 1 protocol ip flower ip_proto udp action drop
filter add dev bsd1 ingress pref 2 protocol ip flower dst_port 53 action drop'
good='filter add dev bsd1 ingress pref 1 protocol ip flower ip_proto udp dst_port 53 action drop
filter add dev bsd1 ingress pref 2 protocol ip flower ip_proto tcp action pass'

# In-process.
export TC2XDP_SOCKET=$tmp/d.sock
status=0
TC2XDP_NO_DAEMON=1 "$t2x" -n "$ns" -batch - <<<"$bad" >"$tmp/local.out" 2>"$tmp/local.err" || status=$?
[ "$status" = 1 ] || fail "bad stdin batch exited $status"
grep -q '^<stdin>:2:[0-9]*: error: dst_port needs ip_proto' "$tmp/local.err" ||
  { cat "$tmp/local.err"; fail "no located <stdin> error"; }
TC2XDP_NO_DAEMON=1 "$t2x" -n "$ns" show bsd1 >/dev/null 2>&1 && fail "the bad batch changed bsd1"

# Through a daemon.
"$t2x" -n "$ns" daemon --socket "$tmp/d.sock" 2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$tmp/d.sock" ] && break; sleep 0.05; done
[ -S "$tmp/d.sock" ] || { cat "$tmp/daemon.log"; fail "the daemon did not start"; }
status=0
"$t2x" -n "$ns" -batch - <<<"$bad" >"$tmp/daemon.out" 2>"$tmp/daemon.err" || status=$?
[ "$status" = 1 ] || fail "bad stdin batch through the daemon exited $status"
cmp "$tmp/local.err" "$tmp/daemon.err" || fail "stderr differs through the daemon"
cmp "$tmp/local.out" "$tmp/daemon.out" || fail "stdout differs through the daemon"
"$t2x" -n "$ns" -batch - <<<"$good"
shown=$("$t2x" -n "$ns" show bsd1)
[ "$(grep -c '^filter add dev bsd1' <<<"$shown")" = 2 ] || { echo "$shown"; fail "not 2 rules"; }
[ "$(grep -c -- '-batch - -> exit' "$tmp/daemon.log")" = 2 ] ||
  { cat "$tmp/daemon.log"; fail "the daemon did not serve both batches"; }
# From another network namespace (here the host's), the daemon hands the request back: the
# client runs it itself, on the stdin it already read.
status=0
"$t2x" -batch - <<<"$bad" >"$tmp/other.out" 2>"$tmp/other.err" || status=$?
[ "$status" = 1 ] || fail "bad stdin batch from another namespace exited $status"
cmp "$tmp/local.err" "$tmp/other.err" || fail "stderr differs when handed back"
grep -q -- '-batch - -> run by the client (another network namespace)' "$tmp/daemon.log" ||
  { cat "$tmp/daemon.log"; fail "the daemon did not hand the request back"; }
kill "$daemon"
wait "$daemon"
daemon=
[ ! -e "$tmp/d.sock" ] || fail "the socket outlived the daemon"
echo "batch from stdin, in-process and through the daemon: ok"
