#!/bin/bash
# The GPU check of issue 15, on a machine with an NVIDIA GPU, from a bundle made on the
# build machine (tests/gpu/bundle.sh); under 8 minutes on an H100/H200:
#   1. the "[device]" tests on the real CUDA backend: the op table's values and gradients
#      against the CPU's, the same Philox bits on both devices, every family's run with
#      device: cuda against device: cpu, and runs moved between devices;
#   2. bench_cuda and its PyTorch peer (bench/torch_cuda.py), one after the other.
# Results go to OUT (default: ./gpu_results): tests.txt, bench.jsonl, env.txt.
#
#   bash gpu_bundle/check.sh [OUT]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$PWD/gpu_results}
mkdir -p "$out"
# cuBLAS 13 from the CUDA toolkit, or from PyTorch's nvidia-cublas wheel.
cublas_dir=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -e "$d/libcublas.so.13" ] && cublas_dir=$d && break
done
if [ -z "$cublas_dir" ]; then
  cublas_dir=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(os.path.dirname(nvidia.cublas.__file__), "lib"))' 2>/dev/null || true)
fi
export LD_LIBRARY_PATH="$here/lib:${cublas_dir}:${LD_LIBRARY_PATH:-}"
export GENLAB_CUDA_LIBRARY="$here/bin/libgenlab_cuda.so"
export GENLAB_FASHION_MNIST="$here/data"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "cublas: ${cublas_dir:-not found}"
  lscpu | grep -m1 "Model name"
} > "$out/env.txt"
cat "$out/env.txt"
timeout 360 "$here/bin/genlab_tests" "[device]" -d yes 2>&1 | tee "$out/tests.txt" | tail -25
{
  timeout 120 "$here/bin/bench_cuda" --device cuda --runs 5
  timeout 120 python3 "$here/bench/torch_cuda.py" cuda 5
} 2>&1 | tee "$out/bench.jsonl"
echo "results in $out"
