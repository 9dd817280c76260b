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

__device__ float dot(const float* a, const float* b, int64_t d) {
  float s = 0.0f;
  for (int64_t i = 0; i < d; ++i) s = fmaf(a[i], b[i], s);
  return s;
}

// Keys a query sees: all, or 0..i when causal (top-left aligned).
__device__ int64_t visible_keys(const AttentionGeometry& g, int64_t i) {
  return g.causal ? (i + 1 < g.keys ? i + 1 : g.keys) : g.keys;
}

__global__ void forward_kernel(const float* q, const float* k, const float* v, float* out,
                               float* lse, AttentionGeometry g) {
  const int64_t D = g.head_dim;
  GENLAB_GRID_LOOP(t, g.heads * g.queries) {
    const int64_t h = t / g.queries, i = t % g.queries;
    const float* qi = q + t * D;
    const float* kh = k + h * g.keys * D;
    const float* vh = v + h * g.keys * D;
    float acc[kMaxHeadDim];
    for (int64_t d = 0; d < D; ++d) acc[d] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    const int64_t n = visible_keys(g, i);
    for (int64_t j = 0; j < n; ++j) {
      const float s = g.scale * dot(qi, kh + j * D, D);
      if (s > m) {
        const float c = expf(m - s);  // 0 on the first key (m = -inf)
        l *= c;
        for (int64_t d = 0; d < D; ++d) acc[d] *= c;
        m = s;
      }
      const float p = expf(s - m);
      l += p;
      for (int64_t d = 0; d < D; ++d) acc[d] = fmaf(p, vh[j * D + d], acc[d]);
    }
    float* oi = out + t * D;
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int64_t d = 0; d < D; ++d) oi[d] = acc[d] * inv;
    lse[t] = l > 0.0f ? m + logf(l) : -INFINITY;
  }
}

// delta_i = dO_i . O_i and dq_i = scale sum_j P_ij (dO_i . v_j - delta_i) k_j.
__global__ void dq_kernel(const float* q, const float* k, const float* v, const float* out,
                          const float* grad_out, const float* lse, float* dq, float* delta,
                          AttentionGeometry g) {
  const int64_t D = g.head_dim;
  GENLAB_GRID_LOOP(t, g.heads * g.queries) {
    const int64_t h = t / g.queries, i = t % g.queries;
    const float *qi = q + t * D, *doi = grad_out + t * D;
    const float *kh = k + h * g.keys * D, *vh = v + h * g.keys * D;
    const float di = dot(doi, out + t * D, D);
    delta[t] = di;
    float acc[kMaxHeadDim];
    for (int64_t d = 0; d < D; ++d) acc[d] = 0.0f;
    const int64_t n = visible_keys(g, i);
    for (int64_t j = 0; j < n; ++j) {
      const float p = expf(g.scale * dot(qi, kh + j * D, D) - lse[t]);
      const float ds = p * (dot(doi, vh + j * D, D) - di);
      for (int64_t d = 0; d < D; ++d) acc[d] = fmaf(ds, kh[j * D + d], acc[d]);
    }
    for (int64_t d = 0; d < D; ++d) dq[t * D + d] = g.scale * acc[d];
  }
}

// dk_j = scale sum_i P_ij (dO_i . v_j - delta_i) q_i and dv_j = sum_i P_ij dO_i.
__global__ void dkv_kernel(const float* q, const float* k, const float* v, const float* grad_out,
                           const float* lse, const float* delta, float* dk, float* dv,
                           AttentionGeometry g) {
  const int64_t D = g.head_dim;
  GENLAB_GRID_LOOP(t, g.heads * g.keys) {
    const int64_t h = t / g.keys, j = t % g.keys;
    const float *kj = k + t * D, *vj = v + t * D;
    float ak[kMaxHeadDim], av[kMaxHeadDim];
    for (int64_t d = 0; d < D; ++d) ak[d] = av[d] = 0.0f;
    const int64_t first = g.causal ? j : 0;  // queries i >= j see key j
    for (int64_t i = first; i < g.queries; ++i) {
      const int64_t row = h * g.queries + i;
      const float* qi = q + row * D;
      const float* doi = grad_out + row * D;
      const float p = expf(g.scale * dot(qi, kj, D) - lse[row]);
      const float ds = p * (dot(doi, vj, D) - delta[row]);
      for (int64_t d = 0; d < D; ++d) {
        ak[d] = fmaf(ds, qi[d], ak[d]);
        av[d] = fmaf(p, doi[d], av[d]);
      }
    }
    for (int64_t d = 0; d < D; ++d) {
      dk[t * D + d] = g.scale * ak[d];
      dv[t * D + d] = av[d];
    }
  }
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
