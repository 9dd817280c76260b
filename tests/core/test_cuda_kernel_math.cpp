// The CUDA backend's per-thread arithmetic (genlab/core/backend/cuda/kernel_math.h), run on the
// host against the CPU backend: every unary and binary formula, broadcast and permute
// index maps, im2col/col2im, the 2x resampling pair, the attention rows, the row-major to
// column-major GEMM mapping, and the convolution plans (chunks, groups, 1x1) driven by a
// host executor. A GPU adds launch configuration, block reductions, cuBLAS itself and
// memory management, which tests/gpu/check.sh covers.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include "genlab/core/backend.h"
#include "genlab/core/backend/cuda/kernel_math.h"
#include "genlab/core/rng.h"

using namespace genlab;
using namespace genlab::cuda;

namespace {

std::vector<float> uniform(int64_t n, uint64_t seed, float lo = -2.0f, float hi = 2.0f) {
  return Generator(seed).uniform({n}, lo, hi, Device::cpu).to_vector();
}

double worst(const std::vector<float>& got, const std::vector<float>& want, double atol,
             double rtol) {
  REQUIRE(got.size() == want.size());
  double w = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) && std::isnan(got[i])) continue;
    w = std::max(w, std::fabs(double(got[i]) - want[i]) / (atol + rtol * std::fabs(want[i])));
  }
  return w;
}

Backend& cpu() { return backend(Device::cpu); }

// Column-major cublasSgemmStridedBatched with alpha 1, as cuBLAS defines it.
void column_major_gemm(const GemmCall& c) {
  for (int64_t b = 0; b < c.batch; ++b) {
    const float* A = c.first + b * c.stride_first;
    const float* B = c.second + b * c.stride_second;
    float* C = c.c + b * c.stride_c;
    for (int64_t j = 0; j < c.n; ++j)
      for (int64_t i = 0; i < c.m; ++i) {
        double acc = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          const float a = c.trans_first ? A[p + i * c.ld_first] : A[i + p * c.ld_first];
          const float bb = c.trans_second ? B[j + p * c.ld_second] : B[p + j * c.ld_second];
          acc += double(a) * bb;
        }
        float& out = C[i + j * c.ldc];
        out = static_cast<float>(acc + (c.beta == 0.0f ? 0.0 : double(c.beta) * out));
      }
  }
}

// The convolution plans' executor, on the host: kernel_math's element functions in loops.
struct HostExecutor {
  int64_t col_limit;
  std::vector<std::unique_ptr<std::vector<float>>> buffers;
  int64_t max_col_floats() const { return col_limit; }
  float* scratch(int64_t floats) {
    buffers.push_back(std::make_unique<std::vector<float>>(static_cast<size_t>(floats)));
    return buffers.back()->data();
  }
  void gemm(const GemmCall& c) { column_major_gemm(c); }
  void im2col(const float* x, float* col, int64_t images, int64_t group, const Conv2dGeometry& g) {
    for (int64_t t = 0; t < images * g.patch() * g.out_pixels(); ++t) col[t] = im2col_value(x, t, group, g);
  }
  void col2im(const float* col, float* dx, int64_t images, int64_t group, const Conv2dGeometry& g) {
    for (int64_t t = 0; t < images * g.in_per_group() * g.in_pixels(); ++t)
      dx[col2im_target(t, group, g)] = col2im_value(col, t, g);
  }
  void add_bias(float* out, const float* bias, int64_t batch, int64_t channels, int64_t pixels) {
    for (int64_t i = 0; i < batch * channels * pixels; ++i) out[i] += bias[(i / pixels) % channels];
  }
  void fill(float* out, int64_t n, float value) { std::fill(out, out + n, value); }
};

Conv2dGeometry geometry(int64_t batch, int64_t cin, int64_t h, int64_t w, int64_t cout, int64_t kh,
                        int64_t kw, int64_t stride, int64_t pad, int64_t dilation, int64_t groups) {
  Conv2dGeometry g;
  g.batch = batch, g.in_channels = cin, g.in_h = h, g.in_w = w, g.out_channels = cout;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = g.stride_w = stride, g.pad_h = g.pad_w = pad;
  g.dilation_h = g.dilation_w = dilation, g.groups = groups;
  g.out_h = (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1;
  g.out_w = (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1;
  return g;
}

}  // namespace

TEST_CASE("CUDA kernel math: every unary and binary formula is the CPU backend's", "[cuda_math]") {
  // Eigen's vectorized exp/log/tanh/erf against libm's scalar ones: a few ulp apart.
  const std::vector<float> x = uniform(4001, 1, -6.0f, 6.0f), y = uniform(4001, 2, 0.1f, 3.0f);
  std::vector<float> want(x.size()), got(x.size());
  for (int op = 0; op < static_cast<int>(UnaryOp::count); ++op) {
    const auto u = static_cast<UnaryOp>(op);
    const bool positive_only = u == UnaryOp::log || u == UnaryOp::sqrt || u == UnaryOp::log1p ||
                               u == UnaryOp::pow_scalar;
    const std::vector<float>& in = positive_only ? y : x;
    const float p0 = u == UnaryOp::pow_scalar ? 1.7f : u == UnaryOp::clamp ? -1.0f : 0.5f;
    const float p1 = u == UnaryOp::clamp || u == UnaryOp::inside ? 1.5f : 0.0f;
    cpu().unary(u, in.data(), want.data(), static_cast<int64_t>(in.size()), p0, p1);
    for (size_t i = 0; i < in.size(); ++i) got[i] = unary_value(u, in[i], p0, p1);
    INFO("unary op " << op);
    CHECK(worst(got, want, 1e-6, 1e-5) <= 1.0);
  }
  for (int op = 0; op < static_cast<int>(BinaryOp::count); ++op) {
    const auto b = static_cast<BinaryOp>(op);
    const std::vector<float>& a = b == BinaryOp::pow ? y : x;
    const Shape s{static_cast<int64_t>(x.size())};
    cpu().binary(b, a.data(), s, y.data(), s, want.data(), s);
    for (size_t i = 0; i < x.size(); ++i) got[i] = binary_value(b, a[i], y[i]);
    INFO("binary op " << op);
    // 1 - tanh^2 near saturation cancels: the last bit of tanh (Eigen's or libm's) shows
    // as 1e-5 absolute in gelu_tanh_grad, whose values are O(1).
    CHECK(worst(got, want, 2e-5, 1e-5) <= 1.0);
  }
}

TEST_CASE("CUDA kernel math: broadcast offsets and permutations index as the CPU does", "[cuda_math]") {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {3, 1}}, {{5}, {}},
      {{2, 3, 1, 5}, {1, 3, 4, 1}}, {{1}, {7, 1}}};
  for (const auto& [as, bs] : pairs) {
    const Shape out = broadcast_shapes(as, bs, "test");
    const auto a = uniform(numel(as), 3), b = uniform(numel(bs), 4);
    std::vector<float> want(static_cast<size_t>(numel(out))), got(want.size());
    cpu().binary(BinaryOp::sub, a.data(), as, b.data(), bs, want.data(), out);
    const Shape* ops[2] = {&as, &bs};
    const DeviceBroadcast plan = device_broadcast(out, ops, 2);
    for (int64_t i = 0; i < numel(out); ++i) {
      int64_t offs[2];
      broadcast_offsets<2>(plan, i, offs);
      got[static_cast<size_t>(i)] = binary_value(BinaryOp::sub, a[offs[0]], b[offs[1]]);
    }
    INFO(shape_str(as) << " - " << shape_str(bs));
    CHECK(got == want);
  }
  const Shape xs{2, 3, 4, 5};
  const auto x = uniform(numel(xs), 5);
  for (const std::vector<int>& perm : std::vector<std::vector<int>>{{0, 2, 1, 3}, {3, 2, 1, 0}, {1, 0, 3, 2}, {0, 1, 3, 2}}) {
    std::vector<float> want(x.size()), got(x.size());
    cpu().permute(x.data(), xs, perm.data(), want.data());
    const PermutePlan p = permute_plan(xs, perm.data());
    for (int64_t i = 0; i < numel(xs); ++i) got[static_cast<size_t>(i)] = x[permute_source(p, i)];
    CHECK(got == want);
  }
}

TEST_CASE("CUDA kernel math: the GEMM mapping gives the CPU's matmul for every transpose", "[cuda_math]") {
  const int64_t batch = 3, m = 5, n = 7, k = 4;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t b_stride_zero : {0, 1}) {
        const auto a = uniform(batch * m * k, 6), b = uniform(batch * k * n, 7);
        const int64_t sb = b_stride_zero ? 0 : k * n;
        std::vector<float> want(batch * m * n), got(batch * m * n, 123.0f);
        cpu().matmul(a.data(), m * k, ta, b.data(), sb, tb, want.data(), batch, m, n, k);
        column_major_gemm(gemm_call(ta, tb, m, n, k, a.data(), ta ? m : k, m * k, b.data(),
                                    tb ? k : n, sb, got.data(), n, m * n, batch, 0.0f));
        INFO("transpose a " << ta << ", b " << tb << ", b reused " << b_stride_zero);
        CHECK(worst(got, want, 1e-6, 1e-5) <= 1.0);
      }
}

TEST_CASE("CUDA kernel math: the convolution plans equal the CPU's three convolutions", "[cuda_math]") {
  struct Case {
    const char* what;
    Conv2dGeometry g;
  };
  const std::vector<Case> cases = {
      {"3x3 pad 1", geometry(3, 2, 6, 5, 4, 3, 3, 1, 1, 1, 1)},
      {"3x3 stride 2 pad 1", geometry(2, 3, 7, 7, 2, 3, 3, 2, 1, 1, 1)},
      {"dilation 2, groups 2", geometry(2, 4, 8, 6, 6, 3, 3, 1, 2, 2, 2)},
      {"rectangular 2x3, no pad", geometry(3, 2, 5, 6, 3, 2, 3, 1, 0, 1, 1)},
      {"1x1 (the input is its own columns)", geometry(3, 5, 4, 4, 6, 1, 1, 1, 0, 1, 1)},
      {"1x1 groups 3", geometry(2, 6, 3, 3, 3, 1, 1, 1, 0, 1, 3)},
      {"depthwise 3x3 stride 2", geometry(2, 3, 6, 6, 3, 3, 3, 2, 1, 1, 3)},
  };
  for (const Case& c : cases) {
    const Conv2dGeometry& g = c.g;
    const int64_t nx = g.batch * g.in_channels * g.in_pixels(), ny = g.batch * g.out_channels * g.out_pixels();
    const int64_t nw = g.out_channels * g.patch();
    const auto x = uniform(nx, 8), w = uniform(nw, 9), bias = uniform(g.out_channels, 10), gy = uniform(ny, 11);
    // Columns of one image per chunk, then of all at once: the chunk loop and one GEMM.
    for (int64_t limit : {g.patch() * g.out_pixels(), int64_t{1} << 30}) {
      INFO(c.what << ", " << (limit < (1 << 30) ? "one image per chunk" : "one chunk"));
      HostExecutor e{limit, {}};
      std::vector<float> want(ny), got(ny);
      cpu().conv2d(x.data(), w.data(), bias.data(), want.data(), g);
      conv2d_forward(e, x.data(), w.data(), bias.data(), got.data(), g);
      CHECK(worst(got, want, 1e-5, 1e-5) <= 1.0);
      std::vector<float> dx_want(nx), dx_got(nx, 99.0f);
      cpu().conv2d_input_grad(gy.data(), w.data(), dx_want.data(), g);
      conv2d_input_grad(e, gy.data(), w.data(), dx_got.data(), g);
      CHECK(worst(dx_got, dx_want, 1e-5, 1e-5) <= 1.0);
      std::vector<float> dw_want(nw), dw_got(nw, 99.0f);
      cpu().conv2d_weight_grad(x.data(), gy.data(), dw_want.data(), g);
      conv2d_weight_grad(e, x.data(), gy.data(), dw_got.data(), g);
      CHECK(worst(dw_got, dw_want, 1e-5, 1e-5) <= 1.0);
    }
  }
}

TEST_CASE("CUDA kernel math: resampling and attention rows equal the CPU's", "[cuda_math]") {
  const int64_t planes = 3, h = 4, w = 5;
  const auto small = uniform(planes * h * w, 12), large = uniform(planes * 4 * h * w, 13);
  std::vector<float> up_want(large.size()), up_got(large.size()), down_want(small.size()),
      down_got(small.size());
  cpu().upsample_nearest2x(small.data(), up_want.data(), planes, h, w);
  cpu().downsample_mean2x(large.data(), down_want.data(), planes, h, w);
  for (int64_t t = 0; t < planes * 4 * h * w; ++t) up_got[t] = upsample_value(small.data(), t, h, w);
  for (int64_t t = 0; t < planes * h * w; ++t) down_got[t] = downsample_value(large.data(), t, w);
  CHECK(up_got == up_want);
  CHECK(down_got == down_want);

  for (const AttentionGeometry& g : {AttentionGeometry{2, 9, 9, 4, 0.5f, false},
                                     AttentionGeometry{3, 70, 70, 8, 0.35f, true},
                                     AttentionGeometry{2, 5, 67, 6, 0.7f, false}}) {
    INFO("heads " << g.heads << ", queries " << g.queries << ", keys " << g.keys << ", causal " << g.causal);
    const int64_t nq = g.heads * g.queries * g.head_dim, nk = g.heads * g.keys * g.head_dim;
    const auto q = uniform(nq, 14), k = uniform(nk, 15), v = uniform(nk, 16), go = uniform(nq, 17);
    std::vector<float> out(nq), lse(g.heads * g.queries), out_got(nq), lse_got(lse.size());
    cpu().attention_forward(q.data(), k.data(), v.data(), out.data(), lse.data(), g);
    for (int64_t t = 0; t < g.heads * g.queries; ++t)
      attention_forward_row(q.data(), k.data(), v.data(), out_got.data(), lse_got.data(), g, t);
    CHECK(worst(out_got, out, 1e-6, 1e-5) <= 1.0);
    CHECK(worst(lse_got, lse, 1e-6, 1e-5) <= 1.0);
    std::vector<float> dq(nq), dk(nk), dv(nk), dq_got(nq), dk_got(nk), dv_got(nk), delta(lse.size());
    cpu().attention_backward(q.data(), k.data(), v.data(), out.data(), go.data(), lse.data(),
                             dq.data(), dk.data(), dv.data(), g);
    for (int64_t t = 0; t < g.heads * g.queries; ++t)
      attention_dq_row(q.data(), k.data(), v.data(), out.data(), go.data(), lse.data(), dq_got.data(),
                       delta.data(), g, t);
    for (int64_t t = 0; t < g.heads * g.keys; ++t)
      attention_dkv_row(q.data(), k.data(), v.data(), go.data(), lse.data(), delta.data(),
                        dk_got.data(), dv_got.data(), g, t);
    CHECK(worst(dq_got, dq, 1e-5, 1e-4) <= 1.0);
    CHECK(worst(dk_got, dk, 1e-5, 1e-4) <= 1.0);
    CHECK(worst(dv_got, dv, 1e-5, 1e-4) <= 1.0);
  }
}
