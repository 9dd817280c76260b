// Convolutions, normalization and resampling: values and gradients against PyTorch
// (tests/core/golden/make_image_ops_golden.py), identities between the ops, and errors.
#include <catch2/catch.hpp>

#include "genlab/core/autograd.h"
#include "genlab/core/backend/cpu/conv2d_cpu.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/core/rng.h"
#include "tests/core/golden_check.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using genlab::testing::check_against_golden;
using genlab::testing::test_input;
using Catch::Matchers::Contains;
using V = std::vector<Tensor>;

TEST_CASE("conv2d, conv_transpose2d, group_norm, resampling match PyTorch", "[ops][image]") {
  check_against_golden("conv2d_s2_p1", {{2, 3, 7, 6}, {4, 3, 3, 3}, {4}},
                       [](const V& v) { return conv2d(v[0], v[1], v[2], {2, 1, 1, 1}); });
  check_against_golden("conv2d_g2_d2", {{2, 4, 6, 5}, {6, 2, 3, 3}},
                       [](const V& v) { return conv2d(v[0], v[1], Tensor(), {1, 2, 2, 2}); });
  check_against_golden("conv2d_1x1", {{2, 5, 3, 4}, {3, 5, 1, 1}, {3}},
                       [](const V& v) { return conv2d(v[0], v[1], v[2]); });
  check_against_golden("conv_transpose2d_s2_p1_op1", {{2, 4, 3, 4}, {4, 3, 3, 3}, {3}},
                       [](const V& v) { return conv_transpose2d(v[0], v[1], v[2], {2, 1, 1, 1}, 1); });
  check_against_golden("group_norm_2", {{2, 4, 3, 5}, {4}, {4}},
                       [](const V& v) { return group_norm(v[0], 2, v[1], v[2], 1e-5f); });
  check_against_golden("upsample_nearest", {{2, 2, 3, 4}},
                       [](const V& v) { return upsample2d(v[0], Upsample::nearest); });
  check_against_golden("upsample_bilinear", {{2, 2, 3, 4}},
                       [](const V& v) { return upsample2d(v[0], Upsample::bilinear); });
  check_against_golden("avg_pool2d_3_2", {{1, 2, 7, 6}}, [](const V& v) { return avg_pool2d(v[0], 3, 2); });
}

TEST_CASE("conv2d on many threads equals one thread, and batches are independent", "[ops][image]") {
  // Big enough for the parallel path (over images) and the weight gradient's partial sums.
  const Tensor x = test_input({6, 8, 12, 12}, 1).requires_grad_();
  const Tensor w = test_input({16, 8, 3, 3}, 2).requires_grad_();
  auto run = [&](int threads) {
    set_num_threads(threads);
    const Tensor y = conv2d(x, w, Tensor(), {1, 1, 1, 1});
    const auto g = grad({sum(mul(y, y))}, {x, w});
    set_num_threads(num_threads());
    return std::vector<std::vector<float>>{y.to_vector(), g[0].to_vector(), g[1].to_vector()};
  };
  const int all = num_threads();
  const auto one = run(1), many = run(std::max(2, all));
  CHECK(run(std::max(2, all)) == many);  // the same thread count: the same bits
  set_num_threads(all);
  for (size_t k = 0; k < one.size(); ++k) {
    REQUIRE(one[k].size() == many[k].size());
    for (size_t i = 0; i < one[k].size(); ++i) REQUIRE(one[k][i] == Approx(many[k][i]).epsilon(1e-4).margin(1e-4));
  }
  // Image 3 alone gives image 3's output.
  const Tensor y = conv2d(x.detach(), w.detach(), Tensor(), {1, 1, 1, 1});
  const Tensor y3 = conv2d(slice(x.detach(), 0, 3, 4), w.detach(), Tensor(), {1, 1, 1, 1});
  const auto a = slice(y, 0, 3, 4).to_vector(), b = y3.to_vector();
  for (size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(b[i]).margin(1e-5));
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d: <conv(x), y> = <x, convT(y)>", "[ops][image]") {
  const Conv2dOptions o{2, 1, 1, 2};
  const Tensor x = test_input({2, 4, 9, 8}, 3), w = test_input({6, 2, 3, 3}, 4);
  const Tensor cx = conv2d(x, w, Tensor(), o);
  const Tensor y = test_input(cx.shape(), 5);
  // output_padding 0: conv2d of 9 rows with stride 2 -> 5, transposed back -> 9.
  const Tensor ty = conv_transpose2d(y, w, Tensor(), o, Size2(0, 1));
  REQUIRE(ty.shape() == x.shape());
  CHECK(sum(mul(cx, y)).item() == Approx(sum(mul(x, ty)).item()).epsilon(1e-4));
  const Tensor gw = conv2d_weight_grad(x, y, w.shape(), o);
  CHECK(sum(mul(cx, y)).item() == Approx(sum(mul(w, gw)).item()).epsilon(1e-4));
}

TEST_CASE("downsampling, dropout and padding give the values they promise", "[ops][image]") {
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 2, 4});
  CHECK(downsample2d(x).to_vector() == std::vector<float>{3.5f, 5.5f});
  CHECK(downsample2d(x, Downsample::subsample).to_vector() == std::vector<float>{1, 3});
  CHECK(pad2d(x, 0, 1, 1, 0).shape() == Shape{1, 1, 3, 5});
  CHECK(pad2d(x, 0, 1, 1, 0).to_vector() == std::vector<float>{0, 1, 2, 3, 4, 0, 5, 6, 7, 8, 0, 0, 0, 0, 0});
  // Dropout: about p zeroed, the rest scaled by 1/(1-p); the same generator state gives
  // the same mask (a resumed run), the mean is kept.
  const Tensor ones = Tensor::ones({100000});
  Generator g(3);
  const Generator saved = g;
  const auto a = dropout(ones, 0.25f, g).to_vector();
  Generator again = saved;
  CHECK(dropout(ones, 0.25f, again).to_vector() == a);
  int zeros = 0;
  for (float v : a) {
    REQUIRE((v == 0.0f || v == Approx(1.0f / 0.75f)));
    zeros += v == 0.0f;
  }
  CHECK(zeros == Approx(25000).margin(600));
  CHECK(g.state() != saved.state());  // the draw advanced the stream
}

TEST_CASE("image op errors name the op, the shapes and the options", "[ops][image]") {
  const Tensor x = Tensor::zeros({1, 4, 5, 5});
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({3, 3, 3, 3})), Contains("conv2d") && Contains("channels do not match"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({3, 4, 7, 7})), Contains("kernel does not fit"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({3, 4, 3, 3}), Tensor::zeros({2})), Contains("bias"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({3, 4, 3, 3}), Tensor(), {0, 0, 1, 1}), Contains("stride"));
  CHECK_THROWS_WITH(conv2d(Tensor::zeros({4, 5, 5}), Tensor::zeros({3, 4, 3, 3})), Contains("4-D"));
  CHECK_THROWS_WITH(conv_transpose2d(x, Tensor::zeros({3, 2, 3, 3})), Contains("conv_transpose2d"));
  CHECK_THROWS_WITH(group_norm(x, 3, Tensor(), Tensor()), Contains("groups"));
  CHECK_THROWS_WITH(downsample2d(x), Contains("even"));
  CHECK_THROWS_WITH(avg_pool2d(x, 6), Contains("larger than the image"));
  Generator g(1);
  CHECK_THROWS_WITH(dropout(x, 1.0f, g), Contains("[0, 1)"));
}

TEST_CASE("the convolution kernels in use equal the im2col reference on many geometries",
          "[ops][image]") {
  // With oneDNN (conv2d_uses_dnnl) this compares two libraries; without it, it checks
  // the dispatch. Geometries: strides, paddings, dilations, groups, odd sizes, 1x1.
  struct Case { int64_t n, c, h, w, o, kh, kw, s, p, d, groups; };
  const std::vector<Case> cases = {
      {2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1},   {3, 16, 9, 9, 32, 3, 3, 1, 1, 1, 1},
      {2, 32, 8, 10, 16, 3, 3, 2, 1, 1, 1}, {1, 8, 11, 7, 8, 3, 3, 1, 2, 2, 2},
      {2, 16, 6, 6, 16, 3, 3, 1, 1, 1, 16}, {4, 32, 5, 5, 64, 1, 1, 1, 0, 1, 1},
      {2, 5, 9, 4, 7, 2, 3, 2, 0, 1, 1},    {1, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1},
      {2, 48, 7, 7, 32, 1, 1, 2, 0, 1, 1},  {1, 12, 13, 13, 6, 5, 5, 3, 2, 1, 3},
  };
  INFO("oneDNN: " << cpu::conv2d_uses_dnnl());
  for (const Case& k : cases) {
    Conv2dGeometry g;
    g.batch = k.n, g.in_channels = k.c, g.in_h = k.h, g.in_w = k.w, g.out_channels = k.o;
    g.kernel_h = k.kh, g.kernel_w = k.kw, g.stride_h = g.stride_w = k.s, g.pad_h = g.pad_w = k.p;
    g.dilation_h = g.dilation_w = k.d, g.groups = k.groups;
    g.out_h = (k.h + 2 * k.p - k.d * (k.kh - 1) - 1) / k.s + 1;
    g.out_w = (k.w + 2 * k.p - k.d * (k.kw - 1) - 1) / k.s + 1;
    INFO("input " << k.n << "x" << k.c << "x" << k.h << "x" << k.w << ", " << k.o << " outputs, kernel "
                  << k.kh << "x" << k.kw << ", stride " << k.s << ", pad " << k.p << ", dilation " << k.d
                  << ", groups " << k.groups);
    const auto x = test_input({k.n, k.c, k.h, k.w}, 1).to_vector();
    const auto w = test_input({k.o, k.c / k.groups, k.kh, k.kw}, 2).to_vector();
    const auto b = test_input({k.o}, 3).to_vector();
    const auto dy = test_input({k.n, k.o, g.out_h, g.out_w}, 4).to_vector();
    auto compare = [](const std::vector<float>& got, const std::vector<float>& want) {
      for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(want[i]).margin(1e-4).epsilon(1e-4));
    };
    std::vector<float> y1(dy.size()), y2(dy.size()), dx1(x.size()), dx2(x.size()), dw1(w.size()), dw2(w.size());
    cpu::conv2d_forward(x.data(), w.data(), b.data(), y1.data(), g);
    cpu::im2col::forward(x.data(), w.data(), b.data(), y2.data(), g);
    compare(y1, y2);
    cpu::conv2d_input_grad(dy.data(), w.data(), dx1.data(), g);
    cpu::im2col::input_grad(dy.data(), w.data(), dx2.data(), g);
    compare(dx1, dx2);
    cpu::conv2d_weight_grad(x.data(), dy.data(), dw1.data(), g);
    cpu::im2col::weight_grad(x.data(), dy.data(), dw2.data(), g);
    compare(dw1, dw2);
  }
}

TEST_CASE("group_norm's fused kernel equals its plain-op definition, gradients included",
          "[ops][image]") {
  // A mean far from 0 as well: the variance must not lose its digits to it.
  for (float offset : {0.0f, 1000.0f}) {
    INFO("offset " << offset);
    const Tensor x = add_scalar(test_input({3, 8, 5, 7}, 11, -2, 2), offset).requires_grad_();
    const Tensor w = test_input({8}, 12).requires_grad_(), b = test_input({8}, 13);
    const Tensor r = test_input({3, 8, 5, 7}, 14);
    const Tensor y = group_norm(x, 4, w, b);
    // The definition, from plain ops.
    const Tensor xg = reshape(x, {3, 4, -1});
    const Tensor c = sub(xg, mean(xg, {2}, true));
    const Tensor ref = add(mul(reshape(mul(c, reciprocal(sqrt(add_scalar(mean(square(c), {2}, true), 1e-5f)))),
                                       x.shape()), reshape(w, {1, 8, 1, 1})), reshape(b, {1, 8, 1, 1}));
    const auto yv = y.to_vector(), rv = ref.to_vector();
    for (size_t i = 0; i < yv.size(); ++i) REQUIRE(yv[i] == Approx(rv[i]).margin(offset > 0 ? 2e-2 : 1e-5));
    if (offset > 0) continue;  // float32 plain ops lose the variance's digits there; the kernel does not
    const auto gf = grad({y}, {x, w}, {r});
    const auto gr = grad({ref}, {x, w}, {r});
    const auto gc = grad({group_norm(x, 4, w, b)}, {x, w}, {r}, true);  // the create_graph path
    for (int k = 0; k < 2; ++k) {
      const auto a = gf[k].to_vector(), e = gr[k].to_vector(), cg = gc[k].to_vector();
      for (size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i] == Approx(e[i]).margin(1e-4));
        REQUIRE(cg[i] == Approx(e[i]).margin(1e-4));
      }
    }
  }
}
