#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs each
# for a bounded time on a seed corpus made from the repository (configs, a small run
# file, an IDX file); the CUDA backend stays out (nvcc's host compiler takes no
# -fsanitize=fuzzer). Exits non-zero when a target finds a crash (its input is kept in
# build-fuzz/findings/). Leak checks are off: LeakSanitizer at exit stalls for minutes
# on the fuzzers' heap. Usage: bash fuzz/run.sh [SECONDS_PER_TARGET (default 60)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out="$root/build-fuzz"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGENLAB_FUZZ=ON -DGENLAB_BUILD_TESTS=OFF -DGENLAB_CUDA=OFF > /dev/null
cmake --build "$out" --target fuzz_config fuzz_idx fuzz_run_file fuzz_slurm fuzz_lock
corpus="$out/corpus"
mkdir -p "$corpus/config" "$corpus/idx" "$corpus/run_file" "$corpus/slurm" "$corpus/lock" "$out/findings"
rm -f "$out/findings/"*
cp "$root"/configs/*.yaml "$root"/tests/python/tiny.yaml "$corpus/config/"
printf '/abs/c.yaml\xffgenlab run c.yaml --multirun\xffname\xff/work\xff/usr/bin/genlab\xffseed=0\xfftrain.lr=1e-3' > "$corpus/slurm/plain"
printf 'a\ntouch x\xff$(touch x)\xff`x`\xff'"'"'q'"'"'\xff\x1b[1m\xff\xff' > "$corpus/slurm/hostile"
printf 'vm 12345 2026-12-07T14:20:30Z 987654\n' > "$corpus/lock/new"
printf 'vm 12345 2026-12-07T14:20:30Z\n' > "$corpus/lock/old"
printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02abcdefgh' > "$corpus/idx/small"
if [ -x "$root/build/genlab" ]; then
  "$root/build/genlab" run "$root/tests/python/tiny.yaml" output.path="$corpus/run_file/tiny.h5" \
    train.steps=20 train.log_every=10 train.eval_every=10 evaluate.samples=50 --overwrite > /dev/null
  rm -f "$corpus/run_file/"*.lock "$corpus/run_file/"*.log
fi
status=0
for target in config idx run_file slurm lock; do
  echo "== fuzz_$target, ${seconds} s"
  ASAN_OPTIONS=detect_leaks=0 "$out/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -max_len=65536 -artifact_prefix="$out/findings/$target-" \
    "$corpus/$target" 2>&1 | tail -3 || status=1
done
exit $status
