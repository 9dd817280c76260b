#include "genlab/core/backend/cpu/conv2d_cpu.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "genlab/core/eigen.h"

#include "genlab/core/backend/cpu/eigen_maps.h"

#include "genlab/core/parallel.h"
#ifdef GENLAB_WITH_DNNL
#include "genlab/core/backend/cpu/conv2d_dnnl.h"
#endif

namespace genlab::cpu {
namespace {


// The output columns [lo, hi) of one kernel tap whose input column ow * stride + offset
// lies inside [0, width).
void valid_columns(int64_t offset, int64_t stride, int64_t width, int64_t out_w, int64_t& lo,
                   int64_t& hi) {
  // smallest ow with ow * stride + offset >= 0; first ow with ow * stride + offset >= width
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  hi = width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride;
  lo = std::min(lo, out_w);
  hi = std::clamp(hi, lo, out_w);
}

// im2col: cols [patch, out_pixels] of one image's group x_c [in_per_group, in_h, in_w].
void to_columns(const float* x_c, float* cols, const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels();
  for (int64_t c = 0; c < g.in_per_group(); ++c)
    for (int64_t i = 0; i < g.kernel_h; ++i)
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        float* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * P;
        const int64_t col_offset = j * g.dilation_w - g.pad_w;
        int64_t lo, hi;
        valid_columns(col_offset, g.stride_w, g.in_w, g.out_w, lo, hi);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          float* r = row + oh * g.out_w;
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) {
            std::fill(r, r + g.out_w, 0.0f);
            continue;
          }
          const float* src = x_c + (c * g.in_h + ih) * g.in_w + col_offset;
          std::fill(r, r + lo, 0.0f);
          if (g.stride_w == 1) {
            std::copy(src + lo, src + hi, r + lo);
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = src[ow * g.stride_w];
          }
          std::fill(r + hi, r + g.out_w, 0.0f);
        }
      }
}

// col2im, the adjoint of to_columns: dx_c += the columns put back where they were read.
void from_columns(const float* cols, float* dx_c, const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels();
  for (int64_t c = 0; c < g.in_per_group(); ++c)
    for (int64_t i = 0; i < g.kernel_h; ++i)
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const float* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * P;
        const int64_t col_offset = j * g.dilation_w - g.pad_w;
        int64_t lo, hi;
        valid_columns(col_offset, g.stride_w, g.in_w, g.out_w, lo, hi);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          const float* r = row + oh * g.out_w;
          float* dst = dx_c + (c * g.in_h + ih) * g.in_w + col_offset;
          if (g.stride_w == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += r[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.stride_w] += r[ow];
          }
        }
      }
}

// The column matrix [patch, out_pixels] of image n's group gi: the input itself for a
// pointwise convolution, else im2col into buffer.
const float* columns_of(const float* x, int64_t n, int64_t gi, std::vector<float>& buffer,
                        const Conv2dGeometry& g) {
  const float* x_c = x + (n * g.in_channels + gi * g.in_per_group()) * g.in_pixels();
  if (g.pointwise()) return x_c;
  to_columns(x_c, buffer.data(), g);
  return buffer.data();
}

// Runs fn(first_image, end_image, piece) over the batch in fixed pieces (one per
// thread); returns the number of pieces. One image runs alone, so that Eigen threads
// its GEMMs instead.
template <class Fn>
int64_t over_images(const Conv2dGeometry& g, Fn&& fn) {
  const int64_t pieces =
      omp_in_parallel() ? 1 : std::min<int64_t>(num_threads(), std::max<int64_t>(g.batch, 1));
  if (pieces <= 1 || g.macs() < 1e6) {
    fn(int64_t{0}, g.batch, int64_t{0});
    return 1;
  }
#pragma omp parallel for num_threads(static_cast<int>(pieces)) schedule(static, 1)
  for (int64_t p = 0; p < pieces; ++p) fn(g.batch * p / pieces, g.batch * (p + 1) / pieces, p);
  return pieces;
}

}  // namespace

namespace im2col {

void forward(const float* x, const float* w, const float* bias, float* out,
             const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Og = g.out_per_group();
  over_images(g, [&](int64_t n0, int64_t n1, int64_t) {
    std::vector<float> buffer(g.pointwise() ? 0 : K * P);
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        ConstMatrixMap cols(columns_of(x, n, gi, buffer, g), K, P);
        ConstMatrixMap wg(w + gi * Og * K, Og, K);
        MatrixMap o(out + (n * g.out_channels + gi * Og) * P, Og, P);
        o.noalias() = wg * cols;
        if (bias)
          for (int64_t r = 0; r < Og; ++r) o.row(r).array() += bias[gi * Og + r];
      }
  });
}

void input_grad(const float* grad, const float* w, float* dx, const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Cg = g.in_per_group(), Og = g.out_per_group();
  over_images(g, [&](int64_t n0, int64_t n1, int64_t) {
    RowMatrix cols(g.pointwise() ? 0 : K, g.pointwise() ? 0 : P);
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        ConstMatrixMap go(grad + (n * g.out_channels + gi * Og) * P, Og, P);
        ConstMatrixMap wg(w + gi * Og * K, Og, K);
        float* dx_c = dx + (n * g.in_channels + gi * Cg) * g.in_pixels();
        if (g.pointwise()) {
          MatrixMap(dx_c, K, P).noalias() = wg.transpose() * go;
          continue;
        }
        cols.noalias() = wg.transpose() * go;
        std::fill(dx_c, dx_c + Cg * g.in_pixels(), 0.0f);
        from_columns(cols.data(), dx_c, g);
      }
  });
}

void weight_grad(const float* x, const float* grad, float* dw, const Conv2dGeometry& g) {
  const int64_t P = g.out_pixels(), K = g.patch(), Og = g.out_per_group();
  const int64_t w_size = g.out_channels * K;
  // One partial sum per piece of the batch, added in piece order: reproducible.
  std::vector<std::vector<float>> partial(static_cast<size_t>(std::max(1, num_threads())));
  const int64_t pieces = over_images(g, [&](int64_t n0, int64_t n1, int64_t p) {
    std::vector<float>& acc = partial[static_cast<size_t>(p)];
    acc.assign(static_cast<size_t>(w_size), 0.0f);
    std::vector<float> buffer(g.pointwise() ? 0 : K * P);
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        ConstMatrixMap cols(columns_of(x, n, gi, buffer, g), K, P);
        ConstMatrixMap go(grad + (n * g.out_channels + gi * Og) * P, Og, P);
        MatrixMap(acc.data() + gi * Og * K, Og, K).noalias() += go * cols.transpose();
      }
  });
  std::copy(partial[0].begin(), partial[0].end(), dw);
  for (int64_t p = 1; p < pieces; ++p)
    for (int64_t i = 0; i < w_size; ++i) dw[i] += partial[static_cast<size_t>(p)][i];
}

}  // namespace im2col

// The kernels this build runs: one namespace or the other, the same three functions.
#ifdef GENLAB_WITH_DNNL
namespace chosen = dnnl_conv;
bool conv2d_uses_dnnl() { return true; }
#else
namespace chosen = im2col;
bool conv2d_uses_dnnl() { return false; }
#endif

void conv2d_forward(const float* x, const float* w, const float* bias, float* out,
                    const Conv2dGeometry& g) {
  chosen::forward(x, w, bias, out, g);
}
void conv2d_input_grad(const float* grad, const float* w, float* dx, const Conv2dGeometry& g) {
  chosen::input_grad(grad, w, dx, g);
}
void conv2d_weight_grad(const float* x, const float* grad, float* dw, const Conv2dGeometry& g) {
  chosen::weight_grad(x, grad, dw, g);
}

}  // namespace genlab::cpu
