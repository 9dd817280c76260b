#!/bin/bash
# Builds what tests/gpu/check.sh runs on a GPU machine, on this (build) machine, into one
# folder to carry there: a GPU machine may have CUDA, CMake and PyTorch but none of
# Debian's packages and no network.
#
#   bash tests/gpu/bundle.sh [OUT]        # default OUT: gpu_bundle/ in the repository
#
# OUT/bin: genlab_tests, genlab, bench_cuda, libgenlab_cuda.so (built in build-gpu/ for a
# generic x86-64, not -march=native, and without oneDNN and MPI, whose libraries are
# large); OUT/lib: the shared libraries they load that are not glibc or CUDA's (the GPU
# machine's CUDA 13 and driver provide cuBLAS and libcuda); OUT/data: the start of
# Fashion-MNIST's IDX files for the family tests; OUT/bench: the PyTorch peer. About 40 MiB.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/gpu_bundle}
build=$root/build-gpu
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGENLAB_CUDA=ON \
  -DGENLAB_NATIVE=OFF -DGENLAB_DNNL=OFF -DGENLAB_MPI=OFF >/dev/null
cmake --build "$build" --target genlab_tests genlab bench_cuda genlab_cuda
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/data" "$out/bench"
cp "$build"/genlab_tests "$build"/genlab "$build"/bench_cuda "$build"/libgenlab_cuda.so "$out/bin/"
strip --strip-unneeded "$out"/bin/* 2>/dev/null || true
for f in "$out"/bin/*; do
  ldd "$f" | awk '/=> \// {print $3}'
done | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux* | libresolv.so*) ;;
    libcublas* | libcudart* | libcuda.so* | libnccl*) ;;  # the GPU machine's own CUDA
    *) cp -L "$lib" "$out/lib/" ;;
  esac
done
# The first 2000 training and 1000 test images of Fashion-MNIST (the family tests use a
# few hundred): 1 MB instead of 30.
python3 - /usr/share/datasets/fashion-mnist "$out/data" <<'PY'
import gzip, os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
for name, keep in [("train-images-idx3-ubyte", 2000), ("train-labels-idx1-ubyte", 2000),
                   ("t10k-images-idx3-ubyte", 1000), ("t10k-labels-idx1-ubyte", 1000)]:
    raw = gzip.open(os.path.join(src, name + ".gz")).read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    item = 1
    for d in shape[1:]:
        item *= d
    head = raw[:4] + struct.pack(">I", keep) + raw[8:4 + 4 * dims]
    body = raw[4 + 4 * dims:4 + 4 * dims + keep * item]
    with gzip.open(os.path.join(dst, name + ".gz"), "wb") as f:
        f.write(head + body)
PY
cp "$root"/bench/torch_cuda.py "$root"/bench/torch_diffusion_train.py "$root"/bench/torch_sampling.py \
  "$root"/bench/torch_unet.py "$out/bench/"
cp "$root"/tests/gpu/check.sh "$out/"
du -sh "$out"
