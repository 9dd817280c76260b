#!/usr/bin/env bash
# The notebook side end to end: a tiny run -> the Python reader's tests -> the notebook,
# executed headless. Usage: tests/python/run_python_tests.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$build/python_test_runs"
rm -rf "$out" && mkdir -p "$out"
"$build/genlab" run "$root/tests/python/tiny.yaml" output.path="$out/tiny.h5" > "$out/run.log"
"$build/genlab" run "$root/tests/python/tiny.yaml" output.path="$out/tiny2.h5" seed=2 > "$out/run2.log"
"$build/genlab" run "$root/configs/samplers_analytic.yaml" --multirun output.path="$out/sweep.h5" \
  evaluate.samples=300 seed=1,2 > "$out/sweep.log"
/usr/bin/python3 "$root/tests/python/test_runs.py" "$out/tiny.h5" "$out/tiny2.h5" "$out/sweep_index.tsv"
GENLAB_RUN="$out/tiny.h5" jupyter-nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=300 --output-dir "$out" "$root/notebooks/compare_samplers.ipynb" > "$out/nbconvert.log" 2>&1 \
  || { cat "$out/nbconvert.log"; exit 1; }
echo "notebook: executed without error"
