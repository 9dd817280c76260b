// Sum and max over the middle axis of [outer, extent, inner], in an order fixed by the
// shape alone (fixed thread counts, a fixed tree, no atomics): the same bits run after
// run. Long reductions go in two passes through scratch: chunks of the extent first,
// then the chunks, so that a [4096, 2] column sum does not run on two threads.
#include <algorithm>
#include <cmath>

#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

constexpr int kReduceThreads = 256;

__device__ float combine(bool is_sum, float a, float b) { return is_sum ? a + b : fmaxf(a, b); }

// inner == 1: block b reduces chunk (b % chunks) of row (b / chunks) with a tree.
__global__ void reduce_rows_kernel(bool is_sum, const float* x, int64_t rows, int64_t extent,
                                   int64_t chunks, float* out) {
  __shared__ float partial[kReduceThreads];
  const float identity = is_sum ? 0.0f : -INFINITY;
  for (int64_t b = blockIdx.x; b < rows * chunks; b += gridDim.x) {
    const int64_t row = b / chunks, chunk = b % chunks;
    const int64_t begin = extent * chunk / chunks, end = extent * (chunk + 1) / chunks;
    const float* xr = x + row * extent;
    float acc = identity;
    for (int64_t i = begin + threadIdx.x; i < end; i += kReduceThreads)
      acc = combine(is_sum, acc, xr[i]);
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int width = kReduceThreads / 2; width > 0; width /= 2) {
      if (threadIdx.x < width)
        partial[threadIdx.x] = combine(is_sum, partial[threadIdx.x], partial[threadIdx.x + width]);
      __syncthreads();
    }
    if (threadIdx.x == 0) out[b] = partial[0];
    __syncthreads();
  }
}

// inner > 1: one thread per (outer, chunk, column), rows of its chunk in order.
__global__ void reduce_columns_kernel(bool is_sum, const float* x, int64_t outer, int64_t extent,
                                      int64_t inner, int64_t chunks, float* out) {
  GENLAB_GRID_LOOP(t, outer * chunks * inner) {
    const int64_t j = t % inner, oc = t / inner;
    const int64_t o = oc / chunks, chunk = oc % chunks;
    const int64_t begin = extent * chunk / chunks, end = extent * (chunk + 1) / chunks;
    float acc = is_sum ? 0.0f : -INFINITY;
    for (int64_t r = begin; r < end; ++r) acc = combine(is_sum, acc, x[(o * extent + r) * inner + j]);
    out[t] = acc;
  }
}

int64_t chunks_for(int64_t outer, int64_t extent, int64_t inner) {
  if (inner == 1) {
    if (outer >= 256 || extent < 16384) return 1;
    return std::max<int64_t>(1, std::min<int64_t>({extent / 8192, 1024 / outer, 256}));
  }
  const int64_t columns = outer * inner;
  if (columns >= 16384 || extent < 64) return 1;
  return std::max<int64_t>(1, std::min<int64_t>({extent / 32, 16384 / columns, 1024}));
}

void launch(bool is_sum, const float* x, int64_t outer, int64_t extent, int64_t inner,
            int64_t chunks, float* out, cudaStream_t s) {
  if (inner == 1) {
    const int64_t blocks = std::min<int64_t>(outer * chunks, 65535 * 16);
    reduce_rows_kernel<<<static_cast<unsigned>(std::max<int64_t>(blocks, 1)), kReduceThreads, 0,
                         s>>>(is_sum, x, outer, extent, chunks, out);
  } else {
    reduce_columns_kernel<<<blocks_for(outer * chunks * inner), kThreads, 0, s>>>(
        is_sum, x, outer, extent, inner, chunks, out);
  }
  check_launch("reduce");
}

}  // namespace

int64_t reduce_scratch_floats(int64_t outer, int64_t extent, int64_t inner) {
  const int64_t chunks = chunks_for(outer, extent, inner);
  return chunks > 1 ? outer * chunks * inner : 0;
}

void reduce(cudaStream_t s, ReduceOp op, const float* x, int64_t outer, int64_t extent,
            int64_t inner, float* out, float* scratch) {
  if (outer * inner == 0) return;
  const bool is_sum = op == ReduceOp::sum;
  const int64_t chunks = chunks_for(outer, extent, inner);
  if (chunks == 1) {
    launch(is_sum, x, outer, extent, inner, 1, out, s);
    return;
  }
  launch(is_sum, x, outer, extent, inner, chunks, scratch, s);
  launch(is_sum, scratch, outer, chunks, inner, 1, out, s);
}

}  // namespace genlab::cuda
