#!/usr/bin/env bash
# Data-parallel scaling on this machine (issue 16; bench/README.md "Data parallelism"):
# the EDM MLP of configs/quickstart.yaml and the MADE of configs/made_fmnist.yaml, each as
# 1 rank x 1 thread, 1 rank x 2 threads and 2 ranks x 1 thread (mpirun), REPEATS times in
# turn; one JSON line per run (bench_data_parallel), then the medians.
#   bash bench/data_parallel_scaling.sh [build] [steps] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} steps=${2:-2000} repeats=${3:-3}
mpi=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
out=$(mktemp -d)
lines=$out/lines.jsonl
for r in $(seq "$repeats"); do
  for config in configs/quickstart.yaml configs/made_fmnist.yaml; do
    extra=(); [ $config = configs/made_fmnist.yaml ] && extra=(model.samples=0)
    OMP_NUM_THREADS=1 "$build/bench_data_parallel" --config $config --steps "$steps" --threads 1 --out "$out" "${extra[@]}" >> "$lines"
    OMP_NUM_THREADS=2 "$build/bench_data_parallel" --config $config --steps "$steps" --threads 2 --out "$out" "${extra[@]}" >> "$lines"
    OMP_NUM_THREADS=1 "${mpi[@]}" -np 2 "$build/bench_data_parallel" --config $config --steps "$steps" --threads 1 \
      --out "$out" "${extra[@]}" >> "$lines"
  done
done
cat "$lines"
/usr/bin/python3 - "$lines" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
groups = {}
for r in runs:
    groups.setdefault((r["config"], r["ranks"], r["threads"]), []).append(r)
print("| config | ranks x threads | steps/s (median) | allreduce ms/step | allreduce share | gradient values |")
print("|---|---|---|---|---|---|")
for (config, ranks, threads), rs in sorted(groups.items()):
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"| {config} | {ranks} x {threads} | {med('steps_per_s'):.1f} | {1e3 * med('allreduce_s_per_step'):.3f} | "
          f"{100 * med('allreduce_share'):.1f}% | {rs[0]['gradient_values']:,} |")
PY
