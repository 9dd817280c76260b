// Gather and its adjoint. scatter_add gives each (outer, column) pair to one thread that
// adds the rows in index order, the CPU's order: no atomics, so the sums are the same
// bits as the CPU's and the same run after run. Bad indices are recorded (the first by
// position wins) and raised by the backend at its next host sync, as CUDA's own
// device-side errors are, instead of a sync per gather.
#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

__device__ bool index_ok(int32_t idx, int64_t extent, int64_t position, IndexError* error) {
  if (idx >= 0 && idx < extent) return true;
  if (atomicCAS(&error->flagged, 0, 1) == 0) {
    error->position = position;
    error->value = idx;
    error->extent = extent;
  }
  return false;
}

__global__ void gather_kernel(const float* x, int64_t outer, int64_t extent, int64_t inner,
                              const int32_t* index, int64_t count, float* out, IndexError* error) {
  GENLAB_GRID_LOOP(t, outer * count * inner) {
    const int64_t o = t / (count * inner), j = t % inner;
    const int32_t idx = index[t];
    out[t] = index_ok(idx, extent, t, error) ? x[(o * extent + idx) * inner + j] : 0.0f;
  }
}

__global__ void scatter_add_kernel(const float* src, int64_t outer, int64_t extent, int64_t inner,
                                   const int32_t* index, int64_t count, float* out,
                                   IndexError* error) {
  GENLAB_GRID_LOOP(oj, outer * inner) {
    const int64_t o = oj / inner, j = oj % inner;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t t = (o * count + i) * inner + j;
      const int32_t idx = index[t];
      if (index_ok(idx, extent, t, error)) out[(o * extent + idx) * inner + j] += src[t];
    }
  }
}

}  // namespace

void gather(cudaStream_t s, const float* x, int64_t outer, int64_t extent, int64_t inner,
            const int32_t* index, int64_t count, float* out, IndexError* error) {
  const int64_t n = outer * count * inner;
  if (n == 0) return;
  gather_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, outer, extent, inner, index, count, out,
                                                   error);
  check_launch("gather");
}

void scatter_add(cudaStream_t s, const float* src, int64_t outer, int64_t extent, int64_t inner,
                 const int32_t* index, int64_t count, float* out, IndexError* error) {
  if (outer * inner * count == 0) return;
  scatter_add_kernel<<<blocks_for(outer * inner), kThreads, 0, s>>>(src, outer, extent, inner,
                                                                    index, count, out, error);
  check_launch("scatter_add");
}

}  // namespace genlab::cuda
