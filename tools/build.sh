#!/usr/bin/env bash
# Configures and builds tc2xdp into build/ (the CLI lands at build/tc2xdp).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
if ! ninja -C build -j"$(nproc)" >build/ninja.log 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\] ' build/ninja.log | tail -n 60 >&2
  echo "build failed; full log in build/ninja.log" >&2
  exit 1
fi
