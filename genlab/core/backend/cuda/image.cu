// Image kernels: the column matrices of convolution (im2col and its adjoint, each output
// element computed by one thread, so col2im gathers instead of scattering: no atomics),
// group normalization's row statistics (one block per row, a fixed tree in double, as the
// CPU's two passes in double) and the 2x resampling pair.
#include <algorithm>

#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

__global__ void im2col_kernel(const float* x, float* col, int64_t images, int64_t group,
                              Conv2dGeometry g) {
  GENLAB_GRID_LOOP(t, images * g.patch() * g.out_pixels()) col[t] = im2col_value(x, t, group, g);
}

__global__ void col2im_kernel(const float* col, float* dx, int64_t images, int64_t group,
                              Conv2dGeometry g) {
  GENLAB_GRID_LOOP(t, images * g.in_per_group() * g.in_pixels())
    dx[col2im_target(t, group, g)] = col2im_value(col, t, g);
}

constexpr int kRowThreads = 256;

// Tree sum of one value per thread over the block; every thread gets the total.
__device__ double block_sum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int width = kRowThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) shared[threadIdx.x] += shared[threadIdx.x + width];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();
  return total;
}

__global__ void normalize_rows_kernel(const float* x, float* xhat, float* rstd, int64_t rows,
                                      int64_t size, float eps) {
  __shared__ double shared[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * size;
    double s = 0;
    for (int64_t i = threadIdx.x; i < size; i += kRowThreads) s += xr[i];
    const double mean = block_sum(s, shared) / static_cast<double>(size);
    double q = 0;
    for (int64_t i = threadIdx.x; i < size; i += kRowThreads) {
      const double d = xr[i] - mean;
      q += d * d;
    }
    const double var = block_sum(q, shared) / static_cast<double>(size);
    const float inv = static_cast<float>(1.0 / sqrt(var + eps));
    if (threadIdx.x == 0) rstd[r] = inv;
    const float mean_f = static_cast<float>(mean);
    for (int64_t i = threadIdx.x; i < size; i += kRowThreads)
      xhat[r * size + i] = (xr[i] - mean_f) * inv;
  }
}

__global__ void normalize_rows_backward_kernel(const float* xhat, const float* dxhat,
                                               const float* rstd, float* dx, int64_t rows,
                                               int64_t size) {
  __shared__ double shared[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xh = xhat + r * size, *g = dxhat + r * size;
    double sg = 0, sgx = 0;
    for (int64_t i = threadIdx.x; i < size; i += kRowThreads) {
      sg += g[i];
      sgx += static_cast<double>(g[i]) * xh[i];
    }
    const float mean_g = static_cast<float>(block_sum(sg, shared) / size);
    const float mean_gx = static_cast<float>(block_sum(sgx, shared) / size);
    for (int64_t i = threadIdx.x; i < size; i += kRowThreads)
      dx[r * size + i] = rstd[r] * (g[i] - mean_g - xh[i] * mean_gx);
  }
}

__global__ void upsample_kernel(const float* x, float* out, int64_t planes, int64_t h, int64_t w) {
  GENLAB_GRID_LOOP(t, planes * 4 * h * w) out[t] = upsample_value(x, t, h, w);
}

__global__ void downsample_kernel(const float* x, float* out, int64_t planes, int64_t h,
                                  int64_t w) {
  GENLAB_GRID_LOOP(t, planes * h * w) out[t] = downsample_value(x, t, w);
}

unsigned row_blocks(int64_t rows) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(rows, 65535 * 16)));
}

}  // namespace

void im2col(cudaStream_t s, const float* x, float* col, int64_t images, int64_t group,
            const Conv2dGeometry& g) {
  const int64_t n = images * g.patch() * g.out_pixels();
  if (n == 0) return;
  im2col_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, col, images, group, g);
  check_launch("im2col");
}
void col2im(cudaStream_t s, const float* col, float* dx, int64_t images, int64_t group,
            const Conv2dGeometry& g) {
  const int64_t n = images * g.in_per_group() * g.in_pixels();
  if (n == 0) return;
  col2im_kernel<<<blocks_for(n), kThreads, 0, s>>>(col, dx, images, group, g);
  check_launch("col2im");
}
void normalize_rows(cudaStream_t s, const float* x, float* xhat, float* rstd, int64_t rows,
                    int64_t size, float eps) {
  if (rows == 0) return;
  normalize_rows_kernel<<<row_blocks(rows), kRowThreads, 0, s>>>(x, xhat, rstd, rows, size, eps);
  check_launch("normalize_rows");
}
void normalize_rows_backward(cudaStream_t s, const float* xhat, const float* dxhat,
                             const float* rstd, float* dx, int64_t rows, int64_t size) {
  if (rows == 0) return;
  normalize_rows_backward_kernel<<<row_blocks(rows), kRowThreads, 0, s>>>(xhat, dxhat, rstd, dx,
                                                                          rows, size);
  check_launch("normalize_rows_backward");
}
void upsample_nearest2x(cudaStream_t s, const float* x, float* out, int64_t planes, int64_t h,
                        int64_t w) {
  const int64_t n = planes * 4 * h * w;
  if (n == 0) return;
  upsample_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, out, planes, h, w);
  check_launch("upsample_nearest2x");
}
void downsample_mean2x(cudaStream_t s, const float* x, float* out, int64_t planes, int64_t h,
                       int64_t w) {
  const int64_t n = planes * h * w;
  if (n == 0) return;
  downsample_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, out, planes, h, w);
  check_launch("downsample_mean2x");
}

}  // namespace genlab::cuda
