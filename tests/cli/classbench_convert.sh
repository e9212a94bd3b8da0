#!/usr/bin/env bash
# The nftables and OpenFlow translations of the ClassBench sets are accepted by the real tools:
# `nft -f` loads the script on a veth in a throwaway network namespace with one counter per rule
# plus the miss counter, and `ovs-ofctl parse-flows` reads every flow with the rules' cookies.
set -euo pipefail
build=$1 src=$2
data=$src/../shared/data/classbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for set in acl1_1k fw1_1k; do
  rules=$(grep -c . "$data/$set")
  "$build/classbench2tc" --format nft --dev tbcv --table tbconv --action alternate "$data/$set" \
    >"$tmp/$set.nft"
  counters=$(unshare -n bash -c "ip link add tbcv type veth peer name tbcw && nft -f '$tmp/$set.nft' \
    && nft list table netdev tbconv" | grep -c 'counter packets 0')
  [ "$counters" -eq $((rules + 1)) ] || { echo "FAIL: $set: $counters nft counters" >&2; exit 1; }
  "$build/classbench2tc" --format openflow --action alternate "$data/$set" >"$tmp/$set.of"
  ovs-ofctl parse-flows "$tmp/$set.of" >"$tmp/$set.parsed"
  cookies=$(grep -o 'cookie:0x[0-9a-f]*' "$tmp/$set.parsed" | sort -u | wc -l)
  [ "$cookies" -eq "$rules" ] || { echo "FAIL: $set: $cookies cookies" >&2; exit 1; }
  echo "$set: $rules rules -> nft ok, $(grep -c ADD "$tmp/$set.parsed") OpenFlow flows ok"
done
