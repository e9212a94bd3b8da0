#!/usr/bin/env bash
# Builds and runs the whole test suite: unit, packet (root: BPF_PROG_TEST_RUN), system (root: netns
# and veth) and CLI tests. Extra arguments go to ctest (e.g. -L unit, -R Differential).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "test: packet and system tests need root (BPF, network namespaces); run as root" >&2
  exit 1
fi
cd build
ctest --output-on-failure --timeout 900 "$@"
