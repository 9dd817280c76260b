// The CUDA backend's kernel launchers, one family per .cu file; every launch goes to
// the backend's one stream (cuda_backend.cpp), so work is ordered without host syncs.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "genlab/core/backend.h"
#include "genlab/core/backend/cuda/kernel_math.h"

namespace genlab::cuda {

// elementwise.cu
void fill(cudaStream_t s, float* out, int64_t n, float value);
void unary(cudaStream_t s, UnaryOp op, const float* x, float* out, int64_t n, float p0, float p1);
void binary(cudaStream_t s, BinaryOp op, const float* a, const float* b, float* out, int64_t n,
            const DeviceBroadcast& plan);
void where(cudaStream_t s, const float* c, const float* a, const float* b, float* out, int64_t n,
           const DeviceBroadcast& plan);
void permute(cudaStream_t s, const float* x, const Shape& x_shape, const int* perm, float* out);
void copy_rows(cudaStream_t s, const float* src, int64_t src_stride, float* dst,
               int64_t dst_stride, int64_t rows, int64_t cols, bool accumulate);
void add_channel_bias(cudaStream_t s, float* out, const float* bias, int64_t batch,
                      int64_t channels, int64_t pixels);

// reduce.cu: a fixed order for a given shape, run after run.
void reduce(cudaStream_t s, ReduceOp op, const float* x, int64_t outer, int64_t extent,
            int64_t inner, float* out, float* scratch);
int64_t reduce_scratch_floats(int64_t outer, int64_t extent, int64_t inner);

// gather.cu: index errors are written to *error (the first bad index and its position)
// and raised by the backend at its next host sync.
struct IndexError {
  int64_t position;
  int64_t value;
  int64_t extent;
  int flagged;
};
void gather(cudaStream_t s, const float* x, int64_t outer, int64_t extent, int64_t inner,
            const int32_t* index, int64_t count, float* out, IndexError* error);
void scatter_add(cudaStream_t s, const float* src, int64_t outer, int64_t extent, int64_t inner,
                 const int32_t* index, int64_t count, float* out, IndexError* error);

// random.cu: philox_values (genlab/core/philox.h) per block, the CPU's bits.
void random(cudaStream_t s, RandomDist dist, uint64_t key, uint64_t counter, float* out,
            int64_t n, int64_t row_len);

// image.cu
void im2col(cudaStream_t s, const float* x, float* col, int64_t images, int64_t group,
            const Conv2dGeometry& g);
void col2im(cudaStream_t s, const float* col, float* dx, int64_t images, int64_t group,
            const Conv2dGeometry& g);
void normalize_rows(cudaStream_t s, const float* x, float* xhat, float* rstd, int64_t rows,
                    int64_t size, float eps);
void normalize_rows_backward(cudaStream_t s, const float* xhat, const float* dxhat,
                             const float* rstd, float* dx, int64_t rows, int64_t size);
void upsample_nearest2x(cudaStream_t s, const float* x, float* out, int64_t planes, int64_t h,
                        int64_t w);
void downsample_mean2x(cudaStream_t s, const float* x, float* out, int64_t planes, int64_t h,
                       int64_t w);

// attention.cu: one thread per query (forward, dq) or key (dk, dv), online softmax;
// head_dim up to kMaxHeadDim.
void attention_forward(cudaStream_t s, const float* q, const float* k, const float* v, float* out,
                       float* lse, const AttentionGeometry& g);
void attention_backward(cudaStream_t s, const float* q, const float* k, const float* v,
                        const float* out, const float* grad_out, const float* lse, float* dq,
                        float* dk, float* dv, float* delta, const AttentionGeometry& g);

}  // namespace genlab::cuda
