// Elementwise, broadcast, permute and row-copy kernels: one thread per output element
// (grid-stride), each element computed by the formulas of the CPU backend.
#include <stdexcept>

#include "genlab/core/backend/broadcast_plan.h"
#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kGeluTanhC = 0.79788456080286536f;
constexpr float kGeluTanhA = 0.044715f;

__device__ float sigmoid(float x) {
  // exp of a non-positive argument only: no overflow at either end.
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}
__device__ float softplus_tail(float x) { return log1pf(expf(-fabsf(x))); }

__device__ float unary_value(UnaryOp op, float x, float p0, float p1) {
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
    case UnaryOp::sigmoid: return sigmoid(x);
    case UnaryOp::relu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::silu: return x * sigmoid(x);
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
  }
  return 0.0f;
}

__device__ float binary_value(BinaryOp op, float a, float b) {
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
      const float s = sigmoid(a);
      return b * s * (1.0f + a * (1.0f - s));
    }
    case BinaryOp::sigmoid_grad: {
      const float s = sigmoid(a);
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
    case BinaryOp::softplus_grad: return b * sigmoid(a);
    case BinaryOp::log_sigmoid_grad: return b * sigmoid(-a);
    case BinaryOp::relu_grad: return a > 0.0f ? b : 0.0f;
    case BinaryOp::abs_grad:
      return b * (static_cast<float>(a > 0.0f) - static_cast<float>(a < 0.0f));
    case BinaryOp::bce_with_logits: return fmaxf(a, 0.0f) - a * b + softplus_tail(a);
  }
  return 0.0f;
}

// Offsets of element i of the output in each operand.
template <int kOperands>
__device__ void broadcast_offsets(const DeviceBroadcast& p, int64_t i, int64_t* offs) {
  for (int k = 0; k < kOperands; ++k) offs[k] = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t idx = i % p.dims[d];
    i /= p.dims[d];
    for (int k = 0; k < kOperands; ++k) offs[k] += idx * p.strides[k][d];
  }
}

__global__ void fill_kernel(float* out, int64_t n, float value) {
  GENLAB_GRID_LOOP(i, n) out[i] = value;
}
__global__ void unary_kernel(UnaryOp op, const float* x, float* out, int64_t n, float p0,
                             float p1) {
  GENLAB_GRID_LOOP(i, n) out[i] = unary_value(op, x[i], p0, p1);
}
__global__ void binary_kernel(BinaryOp op, const float* a, const float* b, float* out, int64_t n,
                              DeviceBroadcast p) {
  GENLAB_GRID_LOOP(i, n) {
    int64_t offs[2];
    broadcast_offsets<2>(p, i, offs);
    out[i] = binary_value(op, a[offs[0]], b[offs[1]]);
  }
}
__global__ void where_kernel(const float* c, const float* a, const float* b, float* out, int64_t n,
                             DeviceBroadcast p) {
  GENLAB_GRID_LOOP(i, n) {
    int64_t offs[3];
    broadcast_offsets<3>(p, i, offs);
    out[i] = c[offs[0]] != 0.0f ? a[offs[1]] : b[offs[2]];
  }
}

struct PermutePlan {
  int rank;
  int64_t out_dims[kMaxDims];
  int64_t src_strides[kMaxDims];
};
__global__ void permute_kernel(const float* x, float* out, int64_t n, PermutePlan p) {
  GENLAB_GRID_LOOP(i, n) {
    int64_t rem = i, off = 0;
    for (int d = p.rank - 1; d >= 0; --d) {
      off += (rem % p.out_dims[d]) * p.src_strides[d];
      rem /= p.out_dims[d];
    }
    out[i] = x[off];
  }
}

__global__ void copy_rows_kernel(const float* src, int64_t src_stride, float* dst,
                                 int64_t dst_stride, int64_t rows, int64_t cols, bool accumulate) {
  GENLAB_GRID_LOOP(i, rows * cols) {
    const int64_t r = i / cols, c = i % cols;
    const float v = src[r * src_stride + c];
    if (accumulate) dst[r * dst_stride + c] += v;
    else dst[r * dst_stride + c] = v;
  }
}

__global__ void channel_bias_kernel(float* out, const float* bias, int64_t n, int64_t channels,
                                    int64_t pixels) {
  GENLAB_GRID_LOOP(i, n) out[i] += bias[(i / pixels) % channels];
}

}  // namespace

DeviceBroadcast device_broadcast(const Shape& out, const Shape* const* operands, int count) {
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

void fill(cudaStream_t s, float* out, int64_t n, float value) {
  if (n == 0) return;
  fill_kernel<<<blocks_for(n), kThreads, 0, s>>>(out, n, value);
  check_launch("fill");
}
void unary(cudaStream_t s, UnaryOp op, const float* x, float* out, int64_t n, float p0, float p1) {
  if (n == 0) return;
  unary_kernel<<<blocks_for(n), kThreads, 0, s>>>(op, x, out, n, p0, p1);
  check_launch("unary");
}
void binary(cudaStream_t s, BinaryOp op, const float* a, const float* b, float* out, int64_t n,
            const DeviceBroadcast& plan) {
  if (n == 0) return;
  binary_kernel<<<blocks_for(n), kThreads, 0, s>>>(op, a, b, out, n, plan);
  check_launch("binary");
}
void where(cudaStream_t s, const float* c, const float* a, const float* b, float* out, int64_t n,
           const DeviceBroadcast& plan) {
  if (n == 0) return;
  where_kernel<<<blocks_for(n), kThreads, 0, s>>>(c, a, b, out, n, plan);
  check_launch("where");
}
void permute(cudaStream_t s, const float* x, const Shape& x_shape, const int* perm, float* out) {
  const int rank = static_cast<int>(x_shape.size());
  if (rank > kMaxDims) throw std::invalid_argument("CUDA backend: permute of rank > 8");
  const std::vector<int64_t> xs = contiguous_strides(x_shape);
  PermutePlan p;
  p.rank = rank;
  for (int i = 0; i < rank; ++i) {
    p.out_dims[i] = x_shape[perm[i]];
    p.src_strides[i] = xs[perm[i]];
  }
  const int64_t n = numel(x_shape);
  if (n == 0) return;
  permute_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, out, n, p);
  check_launch("permute");
}
void copy_rows(cudaStream_t s, const float* src, int64_t src_stride, float* dst,
               int64_t dst_stride, int64_t rows, int64_t cols, bool accumulate) {
  if (rows * cols == 0) return;
  copy_rows_kernel<<<blocks_for(rows * cols), kThreads, 0, s>>>(src, src_stride, dst, dst_stride,
                                                                rows, cols, accumulate);
  check_launch("copy_rows");
}
void add_channel_bias(cudaStream_t s, float* out, const float* bias, int64_t batch,
                      int64_t channels, int64_t pixels) {
  const int64_t n = batch * channels * pixels;
  if (n == 0) return;
  channel_bias_kernel<<<blocks_for(n), kThreads, 0, s>>>(out, bias, n, channels, pixels);
  check_launch("conv2d bias");
}

}  // namespace genlab::cuda
