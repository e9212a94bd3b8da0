#!/usr/bin/env bash
# `tc2xdp check` exits 1 with a located error on bad input, and 0 on good input.
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/bad.tc" <<'RULES'
# a good line, then a bad one: the whole file is rejected
filter add dev eth0 ingress pref 1 protocol ip flower dst_ip 10.0.0.0/8 action drop
filter add dev eth0 ingress pref 2 protocol ip flower dst_port 80 action drop
RULES
if "$build/tc2xdp" check "$tmp/bad.tc" 2>"$tmp/err"; then
  echo "FAIL: check accepted a bad file" >&2; exit 1
fi
cat "$tmp/err"
grep -q "^$tmp/bad.tc:3:[0-9]*: error: .*ip_proto" "$tmp/err" || { echo "FAIL: no located error" >&2; exit 1; }
grep -q "hint:" "$tmp/err" || { echo "FAIL: no hint" >&2; exit 1; }
echo "ok"
