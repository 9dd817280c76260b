#!/usr/bin/env bash
# A refactor's bitwise check: runs the quickstart and each family's quick form (--smoke)
# with one thread into OUT_DIR; run it before and after a change, then compare the two
# folders with bench/compare_run_files.py (every dataset, wall times left out).
# Usage: bash bench/bitwise_families.sh OUT_DIR [BUILD_DIR]
set -euo pipefail
out=$1
build=${2:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
cd "$root"
for c in quickstart made_fmnist vae_fmnist gumbel_vae_fmnist fmnist_classifier edm_fmnist; do
  extra="--smoke"
  [ "$c" = quickstart ] && extra=""
  "$build/genlab" run "configs/$c.yaml" $extra threads=1 "output.path=$out/$c.h5" --overwrite \
    > "$out/$c.txt" 2>&1 || echo "FAILED $c (see $out/$c.txt)"
done
echo "runs in $out"
