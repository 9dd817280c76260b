// Fused attention without the queries x keys matrix: the forward keeps one query's
// running max, normalizer and output row in registers (the online softmax); the backward
// recomputes probabilities from lse, with delta_i = dO_i . O_i, one thread per query for
// dq and one per key for dk and dv, so no sum is split across threads: deterministic.
#include <cmath>
#include <stdexcept>
#include <string>

#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

__global__ void forward_kernel(const float* q, const float* k, const float* v, float* out,
                               float* lse, AttentionGeometry g) {
  GENLAB_GRID_LOOP(t, g.heads * g.queries) attention_forward_row(q, k, v, out, lse, g, t);
}

__global__ void dq_kernel(const float* q, const float* k, const float* v, const float* out,
                          const float* grad_out, const float* lse, float* dq, float* delta,
                          AttentionGeometry g) {
  GENLAB_GRID_LOOP(t, g.heads * g.queries)
    attention_dq_row(q, k, v, out, grad_out, lse, dq, delta, g, t);
}

__global__ void dkv_kernel(const float* q, const float* k, const float* v, const float* grad_out,
                           const float* lse, const float* delta, float* dk, float* dv,
                           AttentionGeometry g) {
  GENLAB_GRID_LOOP(t, g.heads * g.keys) attention_dkv_row(q, k, v, grad_out, lse, delta, dk, dv, g, t);
}

void check_head_dim(const AttentionGeometry& g) {
  if (g.head_dim > kMaxHeadDim)
    throw std::invalid_argument("CUDA backend: attention head_dim " + std::to_string(g.head_dim) +
                                " exceeds " + std::to_string(kMaxHeadDim));
}

}  // namespace

void attention_forward(cudaStream_t s, const float* q, const float* k, const float* v, float* out,
                       float* lse, const AttentionGeometry& g) {
  check_head_dim(g);
  const int64_t n = g.heads * g.queries;
  if (n == 0) return;
  forward_kernel<<<blocks_for(n, 128), 128, 0, s>>>(q, k, v, out, lse, g);
  check_launch("attention_forward");
}

void attention_backward(cudaStream_t s, const float* q, const float* k, const float* v,
                        const float* out, const float* grad_out, const float* lse, float* dq,
                        float* dk, float* dv, float* delta, const AttentionGeometry& g) {
  check_head_dim(g);
  if (g.heads * g.queries > 0) {
    dq_kernel<<<blocks_for(g.heads * g.queries, 128), 128, 0, s>>>(q, k, v, out, grad_out, lse, dq,
                                                                   delta, g);
    check_launch("attention dq");
  }
  if (g.heads * g.keys > 0) {
    dkv_kernel<<<blocks_for(g.heads * g.keys, 128), 128, 0, s>>>(q, k, v, grad_out, lse, delta, dk,
                                                                 dv, g);
    check_launch("attention dk dv");
  }
}

}  // namespace genlab::cuda
