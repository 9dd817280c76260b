// Elementwise, broadcast, permute and row-copy kernels: one thread per output element
// (grid-stride), each element computed by kernel_math.h (the CPU backend's formulas).

#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

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

__global__ void permute_kernel(const float* x, float* out, int64_t n, PermutePlan p) {
  GENLAB_GRID_LOOP(i, n) out[i] = x[permute_source(p, i)];
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
  const PermutePlan p = permute_plan(x_shape, perm);
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
