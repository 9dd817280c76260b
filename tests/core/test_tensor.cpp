// Tensors and the forward values of ops: storage and views, broadcasting rules and
// errors, each kernel against a plain scalar reference, and the parallel paths.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "genlab/core/backend.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using genlab::testing::test_input;
using Catch::Matchers::Contains;

namespace {
void require_close(const Tensor& t, const std::vector<double>& expect, double tol = 1e-5) {
  const std::vector<float> v = t.to_vector();
  REQUIRE(v.size() == expect.size());
  for (size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    CHECK(v[i] == Approx(expect[i]).margin(tol).epsilon(tol));
  }
}
}  // namespace

TEST_CASE("views share storage, clone does not", "[tensor]") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor v = reshape(x, {2, 3});
  Tensor rows = x.narrow_rows(1, 2);
  Tensor c = x.clone();
  x.fill_(7.0f);
  CHECK(v.to_vector() == std::vector<float>(6, 7.0f));
  CHECK(rows.shape() == Shape{2, 2});
  CHECK(rows.to_vector() == std::vector<float>(4, 7.0f));
  CHECK(c.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  // A first-axis slice is a view too.
  Tensor y = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor s = slice(y, 0, 1, 3);
  y.fill_(0.0f);
  CHECK(s.to_vector() == std::vector<float>(4, 0.0f));
  CHECK(x.device() == Device::cpu);
}

TEST_CASE("shape errors name the op and both shapes", "[tensor]") {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  CHECK_THROWS_WITH(add(a, b), Contains("add") && Contains("[2, 3]") && Contains("[4]"));
  CHECK_THROWS_WITH(matmul(a, Tensor::zeros({2, 2})), Contains("matmul") && Contains("[2, 3]") && Contains("[2, 2]"));
  CHECK_THROWS_WITH(reshape(a, {4, 2}), Contains("reshape") && Contains("[4, 2]"));
  CHECK_THROWS_WITH(concat({a, Tensor::zeros({2, 2})}, 0), Contains("concat"));
  CHECK_THROWS_WITH(Tensor::from_vector({1, 2}, {3}), Contains("from_vector"));
  CHECK_THROWS_WITH(Tensor::zeros({}).to(Device::cuda), Contains("CUDA"));
}

TEST_CASE("broadcasting follows NumPy", "[tensor]") {
  CHECK(broadcast_shapes({2, 1, 4}, {3, 1}, "t") == Shape{2, 3, 4});
  CHECK(broadcast_shapes({}, {5}, "t") == Shape{5});
  CHECK_THROWS(broadcast_shapes({2, 3}, {3, 2}, "t"));
  const Tensor a = Tensor::from_vector({1, 2, 3}, {3, 1});
  const Tensor b = Tensor::from_vector({10, 20}, {1, 2});
  require_close(add(a, b), {11, 21, 12, 22, 13, 23});
  require_close(mul(Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}), Tensor::from_vector({1, 0, -1}, {3})),
                {1, 0, -3, 4, 0, -6});
  require_close(where(Tensor::from_vector({1, 0}, {2, 1}), Tensor::from_vector({1, 2, 3}, {3}), Tensor::scalar(-1)),
                {1, 2, 3, -1, -1, -1});
  // A general pattern (no merged fast path): [2,1,3] - [1,2,1]
  const Tensor p = Tensor::arange(6).view({2, 1, 3}), q = Tensor::from_vector({100, 200}, {1, 2, 1});
  require_close(sub(p, q), {-100, -99, -98, -200, -199, -198, -97, -96, -95, -197, -196, -195});
}

TEST_CASE("unary kernels match scalar references", "[tensor]") {
  const std::vector<float> xs = {-3.5f, -1.2f, -0.3f, 0.0f, 0.4f, 1.7f, 4.0f};
  const Tensor x = Tensor::from_vector(xs, {7});
  auto check = [&](const char* name, const Tensor& y, const std::function<double(double)>& f) {
    INFO(name);
    std::vector<double> expect;
    for (float v : xs) expect.push_back(f(v));
    require_close(y, expect, 2e-6);
  };
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  check("exp", exp(x), [](double v) { return std::exp(v); });
  check("expm1", expm1(x), [](double v) { return std::expm1(v); });
  check("tanh", tanh(x), [](double v) { return std::tanh(v); });
  check("sigmoid", sigmoid(x), sig);
  check("relu", relu(x), [](double v) { return v > 0 ? v : 0; });
  check("silu", silu(x), [&](double v) { return v * sig(v); });
  check("gelu", gelu(x), [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
  check("gelu tanh", gelu(x, true), [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  });
  check("softplus", softplus(x), [](double v) { return std::log1p(std::exp(v)); });
  check("log_sigmoid", log_sigmoid(x), [&](double v) { return std::log(sig(v)); });
  check("abs", abs(x), [](double v) { return std::fabs(v); });
  check("square", square(x), [](double v) { return v * v; });
  check("sin", sin(x), [](double v) { return std::sin(v); });
  check("cos", cos(x), [](double v) { return std::cos(v); });
  check("clamp", clamp(x, -1, 1), [](double v) { return std::min(1.0, std::max(-1.0, v)); });
  check("floor", floor(x), [](double v) { return std::floor(v); });
  check("sign", sign(x), [](double v) { return (v > 0) - (v < 0); });
  const Tensor p = Tensor::from_vector({0.1f, 0.5f, 1.0f, 3.0f}, {4});
  require_close(log(p), {std::log(0.1), std::log(0.5), 0.0, std::log(3.0)});
  require_close(log1p(p), {std::log1p(0.1), std::log1p(0.5), std::log1p(1.0), std::log1p(3.0)});
  require_close(sqrt(p), {std::sqrt(0.1), std::sqrt(0.5), 1.0, std::sqrt(3.0)});
  require_close(pow(p, 1.5f), {std::pow(0.1, 1.5), std::pow(0.5, 1.5), 1.0, std::pow(3.0, 1.5)});
  // Stable at extreme logits.
  const Tensor big = Tensor::from_vector({-100.0f, 100.0f}, {2});
  require_close(softplus(big), {0.0, 100.0});
  require_close(log_sigmoid(big), {-100.0, 0.0});
  require_close(bce_with_logits(big, Tensor::from_vector({0, 1}, {2}), Reduction::none), {0.0, 0.0});
  require_close(bce_with_logits(big, Tensor::from_vector({1, 0}, {2}), Reduction::none), {100.0, 100.0});
}

TEST_CASE("reductions and the log-sum-exp family", "[tensor]") {
  const Tensor x = Tensor::arange(24).view({2, 3, 4});
  require_close(sum(x), {276});
  require_close(sum(x, {1}), {12, 15, 18, 21, 48, 51, 54, 57});
  require_close(sum(x, {0, 2}), {60, 92, 124});
  require_close(mean(x, {-1}), {1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  require_close(max(x, {0, 1}), {20, 21, 22, 23});
  CHECK(sum(x, {1}, true).shape() == Shape{2, 1, 4});
  const Tensor big = Tensor::from_vector({1000.0f, 1000.0f, -5.0f, 0.0f}, {2, 2});
  require_close(logsumexp(big, 1), {1000.0 + std::log(2.0), std::log(std::exp(-5.0) + 1.0)}, 1e-4);
  const Tensor sm = softmax(Tensor::from_vector({1, 2, 3, 1, 1, 1}, {2, 3}), 1);
  const double z = std::exp(1) + std::exp(2) + std::exp(3);
  require_close(sm, {std::exp(1) / z, std::exp(2) / z, std::exp(3) / z, 1 / 3.0, 1 / 3.0, 1 / 3.0});
  require_close(sum(sm, {1}), {1, 1});
}

TEST_CASE("matmul matches naive loops for every transpose and batch layout", "[tensor]") {
  auto naive = [](const Tensor& a, const Tensor& b, bool ta, bool tb) {
    // a, b 2-D
    const auto av = a.to_vector(), bv = b.to_vector();
    const int64_t m = ta ? a.size(1) : a.size(0), k = ta ? a.size(0) : a.size(1);
    const int64_t n = tb ? b.size(0) : b.size(1);
    std::vector<double> out(m * n, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t l = 0; l < k; ++l)
          out[i * n + j] += double(av[ta ? l * m + i : i * k + l]) * bv[tb ? j * k + l : l * n + j];
    return out;
  };
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Tensor a = test_input(ta ? Shape{7, 5} : Shape{5, 7}, 1);
      const Tensor b = test_input(tb ? Shape{3, 7} : Shape{7, 3}, 2);
      INFO("ta " << ta << " tb " << tb);
      require_close(matmul(a, b, ta, tb), naive(a, b, ta, tb));
    }
  const Tensor a3 = test_input({4, 5, 7}, 3), b2 = test_input({7, 3}, 4), b3 = test_input({4, 7, 3}, 5);
  const Tensor folded = matmul(a3, b2), batched = matmul(a3, b3);
  CHECK(folded.shape() == Shape{4, 5, 3});
  for (int64_t i = 0; i < 4; ++i) {
    const Tensor ai = reshape(slice(a3, 0, i, i + 1), {5, 7});
    require_close(reshape(slice(folded, 0, i, i + 1), {5, 3}), naive(ai, b2, false, false));
    require_close(reshape(slice(batched, 0, i, i + 1), {5, 3}),
                  naive(ai, reshape(slice(b3, 0, i, i + 1), {7, 3}), false, false));
  }
  // Large enough to take the multi-threaded GEMM path.
  const Tensor l = test_input({300, 200}, 6), r = test_input({200, 100}, 7);
  require_close(matmul(l, r), naive(l, r, false, false), 1e-4);
}

TEST_CASE("shape ops move the right elements", "[tensor]") {
  const Tensor x = Tensor::arange(6).view({2, 3});
  require_close(transpose(x, 0, 1), {0, 3, 1, 4, 2, 5});
  require_close(permute(Tensor::arange(24).view({2, 3, 4}), {2, 0, 1}).narrow_rows(1, 1),
                {1, 5, 9, 13, 17, 21});
  require_close(concat({x, Tensor::full({2, 1}, 9)}, 1), {0, 1, 2, 9, 3, 4, 5, 9});
  require_close(stack({x, x * 2.0f}, 0).narrow_rows(1, 1), {0, 2, 4, 6, 8, 10});
  require_close(slice(x, 1, 1, 3), {1, 2, 4, 5});
  require_close(index_select(x, 1, Tensor::from_indices({2, 0}, {2})), {2, 0, 5, 3});
  require_close(gather(x, 1, Tensor::from_indices({2, 2, 0, 1}, {2, 2})), {2, 2, 3, 4});
  require_close(one_hot(Tensor::from_indices({2, 0}, {2}), 3), {0, 0, 1, 1, 0, 0});
  require_close(broadcast_to(Tensor::from_vector({1, 2}, {2, 1}), {2, 3}), {1, 1, 1, 2, 2, 2});
  CHECK_THROWS_WITH(gather(x, 1, Tensor::from_indices({3, 0, 0, 0}, {2, 2})), Contains("out of range"));
  CHECK_THROWS_WITH(one_hot(Tensor::from_indices({5}, {1}), 3), Contains("one_hot"));
}

TEST_CASE("parallel kernels agree with the serial ones", "[tensor]") {
  const int threads = num_threads();
  const Tensor x = test_input({1000, 300}, 11, -3, 3);
  set_num_threads(1);
  const std::vector<float> s_silu = silu(x).to_vector(), s_sum0 = sum(x, {0}).to_vector();
  const float s_total = sum(x).item();
  set_num_threads(std::max(threads, 2));
  CHECK(silu(x).to_vector() == s_silu);  // elementwise: bitwise equal
  require_close(sum(x, {0}), std::vector<double>(s_sum0.begin(), s_sum0.end()), 1e-4);
  CHECK(sum(x).item() == Approx(s_total).epsilon(1e-5));
  CHECK(sum(Tensor::ones({1 << 20})).item() == float(1 << 20));
  set_num_threads(threads);
}

TEST_CASE("a tensor larger than the machine is refused with its size, not OOM-killed",
          "[tensor]") {
  // The limit: the machine's memory, or less under a cgroup or an rlimit (memory_limit()).
  const MemoryLimit limit = memory_limit();
  REQUIRE(limit.bytes > 0);
  // Two halves fit one at a time but not together: the guard counts what is held.
  const int64_t half = static_cast<int64_t>(limit.bytes / sizeof(float) / 2 + (1 << 20));
  try {
    Tensor a = Tensor::empty({half});
    Tensor b = Tensor::empty({half});
    FAIL("two tensors larger than memory together were allocated");
  } catch (const OutOfMemory& e) {
    REQUIRE_THAT(e.what(), Contains("floats") && Contains("does not fit in memory") && Contains(" GiB)"));
  }
  // Nothing leaked from the refused request: the same half fits again afterwards (where
  // other programs leave that much free: a request this large also checks MemAvailable).
  if (available_memory_bytes() > static_cast<size_t>(half) * sizeof(float)) REQUIRE_NOTHROW(Tensor::empty({half}));
}

TEST_CASE("int32 index tensors: made, viewed, converted, refused where values are needed",
          "[tensor]") {
  const Tensor i = Tensor::from_indices({3, -1, 7, 2147483647}, {2, 2});
  CHECK(i.is_index());
  CHECK(i.to_index_vector() == std::vector<int32_t>{3, -1, 7, 2147483647});
  CHECK(i.at(2) == 7.0f);
  // Views, slices along the first axis, clones keep the dtype and the bits.
  CHECK(reshape(i, {4}).is_index());
  CHECK(i.narrow_rows(1, 1).to_index_vector() == std::vector<int32_t>{7, 2147483647});
  CHECK(i.clone().to_index_vector() == i.to_index_vector());
  CHECK(Tensor::arange_indices(3).to_index_vector() == std::vector<int32_t>{0, 1, 2});
  // Float ops refuse indices; index ops refuse floats; conversions check their values.
  CHECK_THROWS_WITH(add(i, i), Contains("int32 index tensor of shape [2, 2]"));
  CHECK_THROWS_WITH(i.data(), Contains("to_float()"));
  CHECK_THROWS_WITH(Tensor::zeros({2}).index_data(), Contains("from_indices"));
  CHECK_THROWS_WITH(Tensor::arange_indices(2).requires_grad_(), Contains("no gradient"));
  CHECK(Tensor::from_vector({2, 5}, {2}).to_indices().to_index_vector() == std::vector<int32_t>{2, 5});
  CHECK_THROWS_WITH(Tensor::from_vector({2, 5.5f}, {2}).to_indices(), Contains("element 1"));
  CHECK(i.to_float().to_vector()[1] == -1.0f);
  CHECK_THROWS_WITH(Tensor::zeros({2}).copy_(Tensor::from_indices({1, 2}, {2})), Contains("int32 into float32"));
  // Out-of-range indices name the value and where it is.
  const Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(gather(x, 1, Tensor::from_indices({0, 1, 3, 0}, {2, 2})), Contains("index 3 (element 2)"));
  CHECK_THROWS_WITH(index_select(x, 0, Tensor::from_indices({-1}, {1})), Contains("index -1"));
  CHECK_THROWS_WITH(gather(x, 1, Tensor::from_vector({0, 1, 0, 0}, {2, 2})), Contains("gather: the index must be an int32"));
}
