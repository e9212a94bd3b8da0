#!/usr/bin/env bash
# Every ClassBench rule set in shared/data converts to flower rules that `tc2xdp check` accepts,
# and `fmt` output checks again to the same number of filters.
set -euo pipefail
build=$1 src=$2
data=$src/../shared/data/classbench
[ -d "$data" ] || { echo "missing $data" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for set in acl1_1k acl1_10k fw1_1k fw1_10k; do
  "$build/classbench2tc" --action alternate "$data/$set" >"$tmp/$set.tc"
  lines=$(grep -c '^filter' "$tmp/$set.tc")
  out=$("$build/tc2xdp" check "$tmp/$set.tc")
  echo "$out"
  [ "$out" = "$tmp/$set.tc: $lines filters, no errors" ] || { echo "FAIL: $set" >&2; exit 1; }
  "$build/tc2xdp" fmt "$tmp/$set.tc" >"$tmp/$set.fmt.tc"
  again=$("$build/tc2xdp" check "$tmp/$set.fmt.tc")
  [ "$again" = "$tmp/$set.fmt.tc: $lines filters, no errors" ] || { echo "FAIL: fmt $set" >&2; exit 1; }
  "$build/tc2xdp" fmt "$tmp/$set.fmt.tc" | cmp - "$tmp/$set.fmt.tc" || { echo "FAIL: fmt not idempotent on $set" >&2; exit 1; }
done
echo "classbench: 4 rule sets converted and checked"
