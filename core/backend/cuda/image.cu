// Image kernels: the column matrices of convolution (im2col and its adjoint, each output
// element computed by one thread, so col2im gathers instead of scattering: no atomics),
// group normalization's row statistics (one block per row, a fixed tree in double, as the
// CPU's two passes in double) and the 2x resampling pair.
#include <algorithm>

#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

// col[img][c, kh, kw][oh, ow] for the channels of group `group`.
__global__ void im2col_kernel(const float* x, float* col, int64_t images, int64_t group,
                              Conv2dGeometry g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Cg = g.in_per_group();
  GENLAB_GRID_LOOP(t, images * K * P) {
    const int64_t pix = t % P, row = (t / P) % K, img = t / (P * K);
    const int64_t kw = row % g.kernel_w, kh = (row / g.kernel_w) % g.kernel_h,
                  c = row / (g.kernel_w * g.kernel_h);
    const int64_t oh = pix / g.out_w, ow = pix % g.out_w;
    const int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
    const int64_t iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
    float v = 0.0f;
    if (ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w)
      v = x[((img * g.in_channels + group * Cg + c) * g.in_h + ih) * g.in_w + iw];
    col[t] = v;
  }
}

// dx[img, group channels] = the sum over every column entry that read this pixel.
__global__ void col2im_kernel(const float* col, float* dx, int64_t images, int64_t group,
                              Conv2dGeometry g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Cg = g.in_per_group();
  const int64_t plane = g.in_h * g.in_w;
  GENLAB_GRID_LOOP(t, images * Cg * plane) {
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
    dx[((img * g.in_channels + group * Cg + c) * g.in_h + ih) * g.in_w + iw] = acc;
  }
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
  const int64_t W = 2 * w, H = 2 * h;
  GENLAB_GRID_LOOP(t, planes * H * W) {
    const int64_t j = t % W, i = (t / W) % H, p = t / (H * W);
    out[t] = x[(p * h + i / 2) * w + j / 2];
  }
}

__global__ void downsample_kernel(const float* x, float* out, int64_t planes, int64_t h,
                                  int64_t w) {
  GENLAB_GRID_LOOP(t, planes * h * w) {
    const int64_t j = t % w, r = t / w;  // r = plane * h + row
    const float* top = x + (2 * r) * (2 * w);
    const float* bottom = top + 2 * w;
    out[t] = 0.25f * ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1]));
  }
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
