#!/usr/bin/env bash
# Steps per second of the quickstart net and of MADE on Fashion-MNIST with 1 thread and
# with every core, on an idle machine and beside one busy process (a shell loop), median
# of 3 runs each: the measurement behind `threads: 0` (auto) in genlab/experiments/cli/runner.cpp.
# Usage: bash bench/threads.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
cores=$(nproc)
rate() {  # config, threads, extra overrides...: steps/s of the last progress line
  local cfg=$1 t=$2; shift 2
  "$build/genlab" run "$cfg" threads="$t" output.path="$out/r.h5" --overwrite "$@" |
    grep -o '[0-9.]* steps/s' | tail -1 | cut -d' ' -f1
}
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
row() {  # label, load, config, overrides...
  local label=$1 load=$2 cfg=$3; shift 3
  local busy=""
  if [ "$load" = loaded ]; then (while :; do :; done) & busy=$!; fi
  local one=() all=()
  for i in 1 2 3; do one+=("$(rate "$cfg" 1 "$@")"); all+=("$(rate "$cfg" "$cores" "$@")"); done
  [ -n "$busy" ] && kill "$busy"
  echo "| $label | $load | $(median "${one[@]}") | $(median "${all[@]}") |"
}
echo "| workload | machine | 1 thread (steps/s) | $cores threads (steps/s) |"
echo "|---|---|---|---|"
for load in idle loaded; do
  row "quickstart (3 x 128 MLP, batch 512)" $load configs/quickstart.yaml train.steps=1000 train.eval_every=0 samplers=[]
  row "MADE 784-500-784, batch 100" $load configs/made_fmnist.yaml train.epochs=1 model.samples=0 train.log_every=500
done
rm -rf "$out"
