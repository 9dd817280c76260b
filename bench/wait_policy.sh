#!/usr/bin/env bash
# OpenMP's wait policy: steps per second of the quickstart net (3 x 128 MLP, batch 512)
# at 2 threads under libgomp's default (active spinning, GOMP_SPINCOUNT 300000 before a
# thread sleeps), a bounded spin count and passive waiting: on an idle machine, beside
# one busy process (a shell loop), and as one of two such runs at once (each figure the
# slower of the two); median of 3 each. Also 1 thread (what `threads: auto` picks for
# this net) for reference. The measurement behind keeping libgomp's default.
# Usage: bash bench/wait_policy.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
rate() {  # threads, file, env...: steps/s of the last progress line
  local t=$1 f=$2; shift 2
  env "$@" "$build/genlab" run configs/quickstart.yaml threads="$t" output.path="$out/$f.h5" --overwrite \
    train.steps=600 train.eval_every=0 samplers=[] train.log_every=200 |
    grep -o '[0-9.]* steps/s' | tail -1 | cut -d' ' -f1
}
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
measure() {  # load, threads, env...: one figure
  local load=$1 t=$2; shift 2
  case $load in
    idle) rate "$t" a "$@" ;;
    busy) (while :; do :; done) & local busy=$!; rate "$t" a "$@"; kill "$busy" ;;
    two) rate "$t" b "$@" > "$out/b.txt" & local other=$!
         local a; a=$(rate "$t" a "$@"); wait "$other"
         printf '%s\n' "$a" "$(cat "$out/b.txt")" | sort -g | head -1 ;;
  esac
}
row() {  # label, threads, env...
  local label=$1 t=$2; shift 2
  local line="| $label | $t |"
  for load in idle busy two; do
    local r=()
    for i in 1 2 3; do r+=("$(measure $load "$t" "$@")"); done
    line+=" $(median "${r[@]}") |"
  done
  echo "$line"
}
echo "| wait policy | threads | idle (steps/s) | beside a busy loop | two runs at once (slower) |"
echo "|---|---|---|---|---|"
row "libgomp default (spin 300000)" 2 -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT
row "GOMP_SPINCOUNT=10000" 2 -u OMP_WAIT_POLICY GOMP_SPINCOUNT=10000
row "OMP_WAIT_POLICY=passive" 2 -u GOMP_SPINCOUNT OMP_WAIT_POLICY=passive
row "libgomp default (spin 300000)" 1 -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT
rm -rf "$out"
