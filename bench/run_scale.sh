#!/usr/bin/env bash
# The comparative scale benchmark in one command: builds scale_bench, runs it (as root: a private
# network namespace, veth, BPF, nftables, a private Open vSwitch), prints the table, and writes
# bench/results/scale.json and bench/results/scale.png. Arguments go to scale_bench, e.g.
#   bench/run_scale.sh --sets acl1_1k,fw1_1k --no-ovs --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
ninja -C build -j1 scale_bench >build/scale_bench.log 2>&1 || {
  tail -n 40 build/scale_bench.log >&2
  exit 1
}
mkdir -p bench/results
status=0
build/bench/scale_bench --json bench/results/scale.json "$@" || status=$?
if [ -s bench/results/scale.json ]; then
  /usr/bin/python3 bench/plot_scale.py bench/results/scale.json bench/results/scale.png
  echo "wrote bench/results/scale.png"
fi
exit $status
