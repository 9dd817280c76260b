#!/usr/bin/env bash
# Installs the peers the benchmarks compare against: Debian's PyTorch, and OpenBLAS
# as the system BLAS. Without OpenBLAS, Debian's torch (BLAS_INFO=generic) runs its
# GEMMs on the reference BLAS and is ~25x slower than it can be, an unfair peer.
set -euo pipefail
packages=(python3-torch python3-numpy libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
