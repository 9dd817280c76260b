// The autodiff engine: accumulation into leaves, no-grad scopes, vector-Jacobian
// products with respect to any tensor, gradients of gradients, and its errors.
#include <catch2/catch.hpp>

#include "genlab/core/autograd.h"
#include "genlab/core/batched_eval.h"
#include "genlab/core/ops.h"
#include "genlab/core/rng.h"

using namespace genlab;
using Catch::Matchers::Contains;

TEST_CASE("backward accumulates into leaves, across shared uses and calls", "[autograd]") {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3}).requires_grad_();
  // y = sum(x * x + x): the diamond through x must sum both paths: 2x + 1.
  Tensor y = sum(x * x + x);
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<float>{3, 5, 7});
  sum(x * 2.0f).backward();  // accumulates
  CHECK(x.grad().to_vector() == std::vector<float>{5, 7, 9});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("no-grad scope records nothing", "[autograd]") {
  Tensor x = Tensor::ones({2}).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = exp(x) * 3.0f;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  CHECK(exp(x).requires_grad());
  CHECK_THROWS_WITH(sum(Tensor::ones({2}) * 2.0f).backward(), Contains("does not require grad"));
}

TEST_CASE("grad gives vector-Jacobian products with respect to non-leaf tensors", "[autograd]") {
  Generator g(1);
  Tensor w = g.normal({3, 3}).requires_grad_();
  Tensor x = g.normal({4, 3});
  Tensor h = matmul(x, w);  // an intermediate
  Tensor d = tanh(h);
  Tensor e = g.normal({4, 3});
  auto [dh, dw] = [&] {
    auto r = grad({d}, {h, w}, {e});
    return std::make_pair(r[0], r[1]);
  }();
  // d(tanh h)/dh = 1 - tanh^2, so e^T J = e * (1 - tanh(h)^2).
  NoGradGuard no_grad;
  const auto expect = (e * (1.0f - square(tanh(h)))).to_vector();
  const auto got = dh.to_vector();
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expect[i]).margin(1e-6));
  const auto expect_w = matmul(x, e * (1.0f - square(tanh(h))), true, false).to_vector();
  const auto got_w = dw.to_vector();
  for (size_t i = 0; i < got_w.size(); ++i) CHECK(got_w[i] == Approx(expect_w[i]).margin(1e-5));
  CHECK_FALSE(w.grad().defined());  // grad() leaves .grad alone
}

TEST_CASE("the trace of a Jacobian from one VJP per dimension", "[autograd]") {
  // f(x) = A x (row vectors x A^T): tr(df/dx) = tr(A).
  Tensor a = Tensor::from_vector({1, 2, 0, 3, 4, 5, 0, 1, -2}, {3, 3});
  Tensor x = Tensor::from_vector({0.1f, 0.2f, 0.3f}, {1, 3}).requires_grad_();
  double trace = 0;
  for (int i = 0; i < 3; ++i) {
    Tensor y = matmul(x, a, false, true);
    std::vector<float> e(3, 0.0f);
    e[i] = 1.0f;
    trace += grad({y}, {x}, {Tensor::from_vector(e, {1, 3})})[0].at(i);
  }
  CHECK(trace == Approx(1 + 4 - 2));
}

TEST_CASE("gradients of gradients (create_graph)", "[autograd]") {
  Tensor x = Tensor::from_vector({0.5f, -1.0f, 2.0f}, {3}).requires_grad_();
  Tensor y = sum(pow(x, 3.0f) + silu(x));
  Tensor dx = grad({y}, {x}, {}, true)[0];  // 3x^2 + silu'(x)
  Tensor ddx = grad({sum(dx)}, {x})[0];     // 6x + silu''(x)
  const auto v = ddx.to_vector();
  const float xs[] = {0.5f, -1.0f, 2.0f};
  for (int i = 0; i < 3; ++i) {
    const double s = 1.0 / (1.0 + std::exp(-xs[i]));
    CHECK(v[i] == Approx(6 * xs[i] + s * (1 - s) * (2 + xs[i] * (1 - 2 * s))).margin(1e-5));
  }
}

TEST_CASE("grad reports unused inputs and non-scalar roots", "[autograd]") {
  Tensor x = Tensor::ones({2}).requires_grad_();
  Tensor z = Tensor::ones({2}).requires_grad_();
  Tensor y = sum(x * 2.0f);
  CHECK_THROWS_WITH(grad({y}, {z}), Contains("not used"));
  CHECK(grad({y}, {z}, {}, false, true)[0].to_vector() == std::vector<float>{0, 0});
  CHECK_THROWS_WITH(grad({x * 2.0f}, {x}), Contains("not a scalar"));
}

TEST_CASE("sum_over_batches covers every row once, in order, without a graph", "[autograd]") {
  std::vector<std::pair<int64_t, int64_t>> seen;
  std::vector<int64_t> done;
  Tensor w = Tensor::ones({1}).requires_grad_();
  const double total = sum_over_batches(
      10, 4,
      [&](int64_t begin, int64_t end) {
        seen.emplace_back(begin, end);
        CHECK_FALSE((w * 2.0f).requires_grad());  // no graph while evaluating
        return static_cast<double>(end - begin) * 0.5;
      },
      [&](int64_t rows) { done.push_back(rows); });
  CHECK(total == 5.0);
  CHECK(seen == std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 8}, {8, 10}});
  CHECK(done == std::vector<int64_t>{4, 8, 10});
  CHECK((w * 2.0f).requires_grad());  // gradients back on afterwards
  CHECK(sum_over_batches(0, 4, [](int64_t, int64_t) { return 1.0; }) == 0.0);
  CHECK_THROWS_WITH(sum_over_batches(3, 0, [](int64_t, int64_t) { return 1.0; }), Catch::Contains("batch 0"));
}
