// What each CUDA kernel thread computes, as plain functions compiled for the device (by
// nvcc) and for the host: the kernels in this folder are thin launch wrappers around
// them, and tests/core/test_cuda_kernel_math.cpp runs them on the CPU, element by element,
// against the CPU backend. So the formulas and the index arithmetic of the GPU backend
// are tested on every machine; what only a GPU tests is the launch configuration, the
// block-level reductions, cuBLAS and the memory management.
//
// Header-only and free of CUDA headers (it needs none).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/core/backend.h"
#include "genlab/core/backend/broadcast_plan.h"
#include "genlab/core/conv_geometry.h"
#include "genlab/core/host_device.h"

namespace genlab::cuda {

// ---- elementwise: the CPU backend's formulas ------------------------------------------

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kGeluTanhC = 0.79788456080286536f;
constexpr float kGeluTanhA = 0.044715f;

GENLAB_HD inline float sigmoid_value(float x) {
  // exp of a non-positive argument only: no overflow at either end.
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}
GENLAB_HD inline float softplus_tail(float x) { return log1pf(expf(-fabsf(x))); }

GENLAB_HD inline float unary_value(UnaryOp op, float x, float p0, float p1) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return expf(x);
    case UnaryOp::log: return logf(x);
    case UnaryOp::log1p: return log1pf(x);
    case UnaryOp::expm1: return expm1f(x);
    case UnaryOp::sqrt: return sqrtf(x);
    case UnaryOp::abs: return fabsf(x);
    case UnaryOp::square: return x * x;
    case UnaryOp::sin: return sinf(x);
    case UnaryOp::cos: return cosf(x);
    case UnaryOp::tanh: return tanhf(x);
    case UnaryOp::sigmoid: return sigmoid_value(x);
    case UnaryOp::relu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::silu: return x * sigmoid_value(x);
    case UnaryOp::gelu: return 0.5f * x * (1.0f + erff(x * kSqrtHalf));
    case UnaryOp::gelu_tanh:
      return 0.5f * x * (1.0f + tanhf(kGeluTanhC * (x + kGeluTanhA * x * x * x)));
    case UnaryOp::softplus: return fmaxf(x, 0.0f) + softplus_tail(x);
    case UnaryOp::log_sigmoid: return fminf(x, 0.0f) - softplus_tail(x);
    case UnaryOp::sign: return static_cast<float>(x > 0.0f) - static_cast<float>(x < 0.0f);
    case UnaryOp::floor: return floorf(x);
    case UnaryOp::reciprocal: return 1.0f / x;
    case UnaryOp::add_scalar: return x + p0;
    case UnaryOp::mul_scalar: return x * p0;
    case UnaryOp::pow_scalar:
      if (p0 == 2.0f) return x * x;
      if (p0 == 0.5f) return sqrtf(x);
      return powf(x, p0);
    case UnaryOp::clamp: return fminf(fmaxf(x, p0), p1);
    case UnaryOp::inside: return (x > p0 && x < p1) ? 1.0f : 0.0f;
    case UnaryOp::count: break;
  }
  return 0.0f;
}

GENLAB_HD inline float binary_value(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return powf(a, b);
    case BinaryOp::maximum: return fmaxf(a, b);
    case BinaryOp::minimum: return fminf(a, b);
    case BinaryOp::eq: return a == b ? 1.0f : 0.0f;
    case BinaryOp::gt: return a > b ? 1.0f : 0.0f;
    case BinaryOp::ge: return a >= b ? 1.0f : 0.0f;
    case BinaryOp::lt: return a < b ? 1.0f : 0.0f;
    case BinaryOp::silu_grad: {
      const float s = sigmoid_value(a);
      return b * s * (1.0f + a * (1.0f - s));
    }
    case BinaryOp::sigmoid_grad: {
      const float s = sigmoid_value(a);
      return b * s * (1.0f - s);
    }
    case BinaryOp::tanh_grad: {
      const float t = tanhf(a);
      return b * (1.0f - t * t);
    }
    case BinaryOp::gelu_grad:
      return b * (0.5f * (1.0f + erff(a * kSqrtHalf)) + a * kInvSqrt2Pi * expf(-0.5f * a * a));
    case BinaryOp::gelu_tanh_grad: {
      const float t = tanhf(kGeluTanhC * (a + kGeluTanhA * a * a * a));
      return b * (0.5f * (1.0f + t) +
                  0.5f * a * (1.0f - t * t) * kGeluTanhC * (1.0f + 3.0f * kGeluTanhA * a * a));
    }
    case BinaryOp::softplus_grad: return b * sigmoid_value(a);
    case BinaryOp::log_sigmoid_grad: return b * sigmoid_value(-a);
    case BinaryOp::relu_grad: return a > 0.0f ? b : 0.0f;
    case BinaryOp::abs_grad:
      return b * (static_cast<float>(a > 0.0f) - static_cast<float>(a < 0.0f));
    case BinaryOp::bce_with_logits: return fmaxf(a, 0.0f) - a * b + softplus_tail(a);
    case BinaryOp::count: break;
  }
  return 0.0f;
}

// ---- broadcasting and permutation: flat output index -> operand offsets ----------------

// Up to this many merged dimensions (BroadcastPlan); more is refused clearly.
constexpr int kMaxDims = 8;

struct DeviceBroadcast {
  int rank = 0;  // dims of the plan, innermost last
  int64_t dims[kMaxDims];
  int64_t strides[3][kMaxDims];
};

inline DeviceBroadcast device_broadcast(const Shape& out, const Shape* const* operands, int count) {
  const BroadcastPlan plan(out, std::vector<const Shape*>(operands, operands + count));
  if (plan.dims.size() > static_cast<size_t>(kMaxDims))
    throw std::invalid_argument("CUDA backend: broadcast over more than 8 merged dimensions (" +
                                shape_str(out) + ")");
  DeviceBroadcast d;
  d.rank = static_cast<int>(plan.dims.size());
  for (int i = 0; i < d.rank; ++i) {
    d.dims[i] = plan.dims[i];
    for (int k = 0; k < count; ++k) d.strides[k][i] = plan.strides[k][i];
  }
  return d;
}

template <int kOperands>
GENLAB_HD inline void broadcast_offsets(const DeviceBroadcast& p, int64_t i, int64_t* offs) {
  for (int k = 0; k < kOperands; ++k) offs[k] = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t idx = i % p.dims[d];
    i /= p.dims[d];
    for (int k = 0; k < kOperands; ++k) offs[k] += idx * p.strides[k][d];
  }
}

struct PermutePlan {
  int rank;
  int64_t out_dims[kMaxDims];
  int64_t src_strides[kMaxDims];
};

inline PermutePlan permute_plan(const Shape& x_shape, const int* perm) {
  const int rank = static_cast<int>(x_shape.size());
  if (rank > kMaxDims) throw std::invalid_argument("CUDA backend: permute of rank > 8");
  const std::vector<int64_t> xs = contiguous_strides(x_shape);
  PermutePlan p;
  p.rank = rank;
  for (int i = 0; i < rank; ++i) {
    p.out_dims[i] = x_shape[perm[i]];
    p.src_strides[i] = xs[perm[i]];
  }
  return p;
}

GENLAB_HD inline int64_t permute_source(const PermutePlan& p, int64_t i) {
  int64_t off = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    off += (i % p.out_dims[d]) * p.src_strides[d];
    i /= p.out_dims[d];
  }
  return off;
}

// ---- convolution's column matrices -----------------------------------------------------

// Element t of the columns [image][c, kh, kw][oh, ow] of group `group`, for images
// starting at x.
GENLAB_HD inline float im2col_value(const float* x, int64_t t, int64_t group, const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Cg = g.in_per_group();
  const int64_t pix = t % P, row = (t / P) % K, img = t / (P * K);
  const int64_t kw = row % g.kernel_w, kh = (row / g.kernel_w) % g.kernel_h,
                c = row / (g.kernel_w * g.kernel_h);
  const int64_t oh = pix / g.out_w, ow = pix % g.out_w;
  const int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
  const int64_t iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
  if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) return 0.0f;
  return x[((img * g.in_channels + group * Cg + c) * g.in_h + ih) * g.in_w + iw];
}

// Element t of dx's group channels [image][c][ih, iw] (the offset in dx it goes to is
// col2im_target): the sum of every column entry that read this pixel.
GENLAB_HD inline float col2im_value(const float* col, int64_t t, const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Cg = g.in_per_group();
  const int64_t plane = g.in_h * g.in_w;
  const int64_t iw = t % g.in_w, ih = (t / g.in_w) % g.in_h, c = (t / plane) % Cg,
                img = t / (plane * Cg);
  float acc = 0.0f;
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    const int64_t y = ih + g.pad_h - kh * g.dilation_h;
    if (y < 0 || y % g.stride_h != 0) continue;
    const int64_t oh = y / g.stride_h;
    if (oh >= g.out_h) continue;
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      const int64_t xw = iw + g.pad_w - kw * g.dilation_w;
      if (xw < 0 || xw % g.stride_w != 0) continue;
      const int64_t ow = xw / g.stride_w;
      if (ow >= g.out_w) continue;
      const int64_t row = (c * g.kernel_h + kh) * g.kernel_w + kw;
      acc += col[(img * K + row) * P + oh * g.out_w + ow];
    }
  }
  return acc;
}
GENLAB_HD inline int64_t col2im_target(int64_t t, int64_t group, const Conv2dGeometry& g) {
  const int64_t plane = g.in_h * g.in_w, Cg = g.in_per_group();
  const int64_t c = (t / plane) % Cg, img = t / (plane * Cg);
  return (img * g.in_channels + group * Cg + c) * plane + t % plane;
}

// ---- resampling --------------------------------------------------------------------------

GENLAB_HD inline float upsample_value(const float* x, int64_t t, int64_t h, int64_t w) {
  const int64_t W = 2 * w, H = 2 * h;
  const int64_t j = t % W, i = (t / W) % H, p = t / (H * W);
  return x[(p * h + i / 2) * w + j / 2];
}
GENLAB_HD inline float downsample_value(const float* x, int64_t t, int64_t w) {
  const int64_t j = t % w, r = t / w;  // r = plane * h + row
  const float* top = x + (2 * r) * (2 * w);
  const float* bottom = top + 2 * w;
  return 0.25f * ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1]));
}

// ---- attention: one query (forward, dq) or one key (dk, dv) per thread ----------------------

constexpr int kMaxHeadDim = 256;

GENLAB_HD inline float dot(const float* a, const float* b, int64_t d) {
  float s = 0.0f;
  for (int64_t i = 0; i < d; ++i) s = fmaf(a[i], b[i], s);
  return s;
}

// Keys query i sees: all, or 0..i when causal (top-left aligned).
GENLAB_HD inline int64_t visible_keys(const AttentionGeometry& g, int64_t i) {
  return g.causal ? (i + 1 < g.keys ? i + 1 : g.keys) : g.keys;
}

// Row t = (head, query) of the output and its lse, by the online softmax.
GENLAB_HD inline void attention_forward_row(const float* q, const float* k, const float* v,
                                            float* out, float* lse, const AttentionGeometry& g,
                                            int64_t t) {
  const int64_t D = g.head_dim;
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

// Row t of dq, and delta_t = dO_t . O_t for the dk/dv pass:
// dq_i = scale sum_j P_ij (dO_i . v_j - delta_i) k_j.
GENLAB_HD inline void attention_dq_row(const float* q, const float* k, const float* v,
                                       const float* out, const float* grad_out, const float* lse,
                                       float* dq, float* delta, const AttentionGeometry& g,
                                       int64_t t) {
  const int64_t D = g.head_dim;
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

// Row t = (head, key) of dk and dv: dk_j = scale sum_i P_ij (dO_i . v_j - delta_i) q_i,
// dv_j = sum_i P_ij dO_i.
GENLAB_HD inline void attention_dkv_row(const float* q, const float* k, const float* v,
                                        const float* grad_out, const float* lse,
                                        const float* delta, float* dk, float* dv,
                                        const AttentionGeometry& g, int64_t t) {
  const int64_t D = g.head_dim;
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

// ---- cuBLAS: a row-major product as the column-major call ------------------------------------

// The arguments of cublasSgemmStridedBatched, in its order.
struct GemmCall {
  bool trans_first, trans_second;
  int64_t m, n, k;
  const float* first;
  int64_t ld_first, stride_first;
  const float* second;
  int64_t ld_second, stride_second;
  float beta;
  float* c;
  int64_t ldc, stride_c, batch;
};

// Row-major C (m x n, row stride ldc) = beta C + op(A) op(B) for `batch` matrices, A stored
// as (trans_a ? k x m : m x k) with row stride lda, B likewise. cuBLAS is column-major,
// where row-major C is C^T: the call computes C^T = op(B)^T op(A)^T, so B goes first and
// m and n swap.
inline GemmCall gemm_call(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                          const float* a, int64_t lda, int64_t stride_a, const float* b,
                          int64_t ldb, int64_t stride_b, float* c, int64_t ldc, int64_t stride_c,
                          int64_t batch, float beta) {
  return {trans_b, trans_a, n, m, k, b, ldb, stride_b, a, lda, stride_a, beta, c, ldc, stride_c,
          batch};
}

// ---- convolution as im2col + GEMM, whatever runs the pieces -----------------------------------

// Images per im2col chunk: the columns stay under max_floats (the GPU's executor: 32 M
// floats, 128 MiB).
inline int64_t images_per_chunk(const Conv2dGeometry& g, int64_t max_floats) {
  const int64_t per_image = std::max<int64_t>(1, g.patch() * g.out_pixels());
  return std::max<int64_t>(1, std::min<int64_t>(g.batch, max_floats / per_image));
}

// The three convolutions, written once over an executor E that provides
//   float* scratch(int64_t floats)          (valid until E is destroyed)
//   int64_t max_col_floats()               (the most floats one chunk's columns may take)
//   void gemm(const GemmCall&)
//   void im2col(const float* x, float* col, int64_t images, int64_t group, const Conv2dGeometry&)
//   void col2im(const float* col, float* dx, int64_t images, int64_t group, const Conv2dGeometry&)
//   void add_bias(float* out, const float* bias, int64_t batch, int64_t channels, int64_t pixels)
//   void fill(float* out, int64_t n, float value)
// The CUDA backend's executor launches kernels and cuBLAS; the test's runs these functions
// on the host. Per group: the columns of a chunk of images ([image][patch][pixel]; a 1x1
// stride-1 convolution reads its input as is) and one strided-batched GEMM over the chunk.
// Calls fn(first_image, images, group, col) for each chunk of images and, within it, each
// group: col is the chunk's column buffer (null for a 1x1 convolution, which reads its
// input as is).
template <class E, class Fn>
void for_each_chunk_and_group(E& e, const Conv2dGeometry& g, Fn&& fn) {
  const int64_t chunk = images_per_chunk(g, e.max_col_floats());
  float* col = g.pointwise() ? nullptr : e.scratch(chunk * g.patch() * g.out_pixels());
  for (int64_t n0 = 0; n0 < g.batch; n0 += chunk)
    for (int64_t gi = 0; gi < g.groups; ++gi) fn(n0, std::min(chunk, g.batch - n0), gi, col);
}

template <class E>
void conv2d_forward(E& e, const float* x, const float* w, const float* bias, float* out,
                    const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Og = g.out_per_group(), Cg = g.in_per_group();
  for_each_chunk_and_group(e, g, [&](int64_t n0, int64_t count, int64_t gi, float* col) {
    const float* cols = x + (n0 * g.in_channels + gi * Cg) * P;
    int64_t col_stride = g.in_channels * P;
    if (col) {
      e.im2col(x + n0 * g.in_channels * g.in_pixels(), col, count, gi, g);
      cols = col;
      col_stride = K * P;
    }
    e.gemm(gemm_call(false, false, Og, P, K, w + gi * Og * K, K, 0, cols, P, col_stride,
                     out + (n0 * g.out_channels + gi * Og) * P, P, g.out_channels * P, count,
                     0.0f));
  });
  if (bias) e.add_bias(out, bias, g.batch, g.out_channels, P);
}

// dx = the transpose convolution of grad: per image and group W_g^T grad (K x P) put back
// where the columns were read (col2im), or straight into dx for a 1x1 convolution.
template <class E>
void conv2d_input_grad(E& e, const float* grad, const float* w, float* dx,
                       const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Og = g.out_per_group(), Cg = g.in_per_group();
  for_each_chunk_and_group(e, g, [&](int64_t n0, int64_t count, int64_t gi, float* col) {
    const float* go = grad + (n0 * g.out_channels + gi * Og) * P;
    float* target = col ? col : dx + (n0 * g.in_channels + gi * Cg) * P;
    const int64_t target_stride = col ? K * P : g.in_channels * P;
    e.gemm(gemm_call(true, false, K, P, Og, w + gi * Og * K, K, 0, go, P, g.out_channels * P,
                     target, P, target_stride, count, 0.0f));
    if (col) e.col2im(col, dx + n0 * g.in_channels * g.in_pixels(), count, gi, g);
  });
}

// dw_g (Og x K) = sum over images, in order, of grad_n,g (Og x P) cols_n^T: one GEMM per
// image with beta 1 after the first, so the sum has the CPU's order and no atomics.
template <class E>
void conv2d_weight_grad(E& e, const float* x, const float* grad, float* dw,
                        const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Og = g.out_per_group(), Cg = g.in_per_group();
  if (g.batch == 0) {
    e.fill(dw, g.out_channels * K, 0.0f);
    return;
  }
  for_each_chunk_and_group(e, g, [&](int64_t n0, int64_t count, int64_t gi, float* col) {
    if (col) e.im2col(x + n0 * g.in_channels * g.in_pixels(), col, count, gi, g);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t n = n0 + i;
      const float* cols = col ? col + i * K * P : x + (n * g.in_channels + gi * Cg) * P;
      e.gemm(gemm_call(false, true, Og, K, P, grad + (n * g.out_channels + gi * Og) * P, P, 0,
                       cols, P, 0, dw + gi * Og * K, K, 0, 1, n == 0 ? 0.0f : 1.0f));
    }
  });
}

}  // namespace genlab::cuda
