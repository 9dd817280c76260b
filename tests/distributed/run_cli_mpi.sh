#!/usr/bin/env bash
# `mpirun -np 2 genlab run` end to end (issue 16): one console and one run file (rank 0's)
# that says world_size 2; an error ends every rank with a message and a failing status
# instead of a hang. Usage: run_cli_mpi.sh BUILD_DIR SOURCE_DIR MPIEXEC [MPIEXEC FLAGS...]
set -euo pipefail
build=$1 src=$2 mpiexec=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$src"
small="train.steps=60 train.log_every=20 train.eval_every=30 train.checkpoint_every=30 evaluate.samples=300 threads=1"
"$mpiexec" "$@" -np 2 "$build/genlab" run configs/quickstart.yaml $small "output.path=$dir/q.h5" > "$dir/out.txt"
cat "$dir/out.txt"
[ "$(grep -c '^run file: ' "$dir/out.txt")" = 1 ] || { echo "FAIL: expected one console (rank 0's)"; exit 1; }
grep -q '^data parallel: 2 ranks (mpi)' "$dir/out.txt" || { echo "FAIL: no data-parallel line"; exit 1; }
"$build/genlab" info "$dir/q.h5" > "$dir/info.txt"
grep -q 'status: completed' "$dir/info.txt" || { echo "FAIL: not completed"; exit 1; }
grep -q 'world_size: 2' "$dir/info.txt" || { echo "FAIL: world_size"; exit 1; }
[ "$(ls "$dir" | grep -c '\.h5$')" = 1 ] || { echo "FAIL: more than one run file"; exit 1; }
# A batch the ranks cannot share: an error naming the key, exit status 1, no hang.
if "$mpiexec" "$@" -np 2 "$build/genlab" run configs/quickstart.yaml $small train.batch_size=1 \
     "output.path=$dir/bad.h5" > "$dir/bad.txt" 2>&1; then
  echo "FAIL: a batch of 1 on 2 ranks ran"; exit 1
fi
grep -q 'train.batch_size 1 is smaller than the 2 ranks' "$dir/bad.txt" || { cat "$dir/bad.txt"; echo "FAIL: message"; exit 1; }
# Ranks given different configs (here train.steps by rank): every rank stops at once with a
# message naming the key, instead of a deadlock.
if "$mpiexec" "$@" -np 2 bash -c 'exec "$0" run configs/quickstart.yaml '"$small"' "output.path=$1" \
     train.steps=$((60 + ${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}} * 20))' "$build/genlab" "$dir/differ.h5" \
     > "$dir/differ.txt" 2>&1; then
  echo "FAIL: ranks with different configs ran"; exit 1
fi
grep -q 'rank 1: train.steps: 80 (rank 0: 60)' "$dir/differ.txt" || { cat "$dir/differ.txt"; echo "FAIL: differing keys"; exit 1; }
# A rank killed mid-run (SIGKILL, as the OOM killer does): its partner stops waiting for it,
# records the failure naming the dead rank and releases the lock before mpirun's SIGKILL;
# `--resume` then completes the run.
"$mpiexec" "$@" -np 2 "$build/genlab" run configs/quickstart.yaml train.steps=4000 train.log_every=500 \
  train.eval_every=0 train.checkpoint_every=500 evaluate.samples=300 threads=1 "output.path=$dir/killed.h5" \
  > "$dir/killed.txt" 2>&1 &
launcher=$!
victim=""
for _ in $(seq 600); do  # past the second checkpoint, rank 1 is killed
  last=$("$build/genlab" info "$dir/killed.h5" 2>/dev/null | sed -n 's/.*\/train: .* last step \([0-9]*\),.*/\1/p' || true)
  if [ "${last:-0}" -ge 1000 ]; then
    for p in $(pgrep -f "output.path=$dir/killed.h5" || true); do
      if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1\|PMIX_RANK=1\|PMI_RANK=1'; then
        victim=$p
      fi
    done
    [ -n "$victim" ] && break
  fi
  sleep 0.1
done
[ -n "$victim" ] || { cat "$dir/killed.txt"; echo "FAIL: no rank 1 to kill"; exit 1; }
kill -9 "$victim"
wait "$launcher" || true
"$build/genlab" info "$dir/killed.h5" > "$dir/killed_info.txt" || true
grep -q 'status: failed' "$dir/killed_info.txt" || { cat "$dir/killed.txt" "$dir/killed_info.txt"; echo "FAIL: not failed"; exit 1; }
grep -q "error: rank 1 (pid $victim) ended while rank 0 waited for it" "$dir/killed_info.txt" ||
  { cat "$dir/killed_info.txt"; echo "FAIL: the failure does not name the dead rank"; exit 1; }
[ ! -e "$dir/killed.h5.lock" ] || { echo "FAIL: the lock was left behind"; exit 1; }
"$mpiexec" "$@" -np 2 "$build/genlab" run --resume "$dir/killed.h5" > "$dir/resumed.txt" 2>&1 ||
  { cat "$dir/resumed.txt"; echo "FAIL: --resume after a killed rank"; exit 1; }
"$build/genlab" info "$dir/killed.h5" > "$dir/resumed_info.txt" || true
grep -q 'status: completed' "$dir/resumed_info.txt" || { cat "$dir/resumed_info.txt"; echo "FAIL: the resumed run did not complete"; exit 1; }
echo "mpirun genlab: ok"
