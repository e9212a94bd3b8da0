#!/usr/bin/env bash
# Installs the Debian 12 packages tc2xdp builds, tests and demos with. Idempotent; silent when all
# is already there. Run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  llvm-19-dev libbpf-dev libelf-dev zlib1g-dev libzstd-dev
  libnl-3-dev libnl-route-3-dev
  libgtest-dev googletest libpcap-dev
  bpftool iproute2 iputils-ping nftables tcpdump
  python3-scapy
  openvswitch-switch python3-matplotlib  # bench/run_scale.sh: the OVS comparison and the plot
  clang-19  # only to build BPF C test fixtures, never used by the product
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
