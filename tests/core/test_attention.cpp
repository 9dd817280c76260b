// The fused attention: values and gradients against PyTorch and against the plain-op
// reference, gradients of gradients, memory that grows linearly in tokens, and RoPE.
#include <catch2/catch.hpp>

#include <cmath>

#include "genlab/core/autograd.h"
#include "genlab/core/backend.h"
#include "genlab/core/ops.h"
#include "tests/core/golden_check.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using genlab::testing::check_against_golden;
using genlab::testing::test_input;
using Catch::Matchers::Contains;
using V = std::vector<Tensor>;

namespace {

void require_close(const Tensor& a, const Tensor& b, double tol) {
  REQUIRE(a.shape() == b.shape());
  const auto x = a.to_vector(), y = b.to_vector();
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(x[i] == Approx(y[i]).margin(tol));
}

}  // namespace

TEST_CASE("fused attention and RoPE match PyTorch", "[ops][attention]") {
  check_against_golden("attention_causal", {{2, 2, 70, 8}, {2, 2, 70, 8}, {2, 2, 70, 8}},
                       [](const V& v) { return scaled_dot_product_attention(v[0], v[1], v[2], {true, 0.0f}); });
  check_against_golden("attention_cross", {{1, 3, 5, 8}, {1, 3, 67, 8}, {1, 3, 67, 8}},
                       [](const V& v) { return scaled_dot_product_attention(v[0], v[1], v[2]); });
  check_against_golden("rope", {{2, 3, 6, 8}}, [](const V& v) {
    return rotary_embedding(v[0], Tensor::from_vector({0, 1, 2, 5, 11, 1000}, {6}));
  });
}

TEST_CASE("fused attention equals softmax(q k^T / sqrt(d)) v, forward and backward",
          "[ops][attention]") {
  // Token counts around the 64-token block: 1, 63, 64, 65, 130; causal and not.
  for (int64_t tokens : {1, 63, 64, 65, 130})
    for (bool causal : {false, true}) {
      INFO("tokens " << tokens << (causal ? ", causal" : ""));
      const Tensor q = test_input({2, 3, tokens, 16}, 1, -2, 2).requires_grad_();
      const Tensor k = test_input({2, 3, tokens, 16}, 2, -2, 2).requires_grad_();
      const Tensor v = test_input({2, 3, tokens, 16}, 3).requires_grad_();
      const Tensor w = test_input({2, 3, tokens, 16}, 4);
      const AttentionOptions o{causal, 0.0f};
      const Tensor fused = scaled_dot_product_attention(q, k, v, o);
      const Tensor naive = naive_attention(q, k, v, o);
      require_close(fused, naive, 1e-5);
      const auto gf = grad({fused}, {q, k, v}, {w});
      const auto gn = grad({naive}, {q, k, v}, {w});
      for (int i = 0; i < 3; ++i) require_close(gf[i], gn[i], 2e-5);
      // With create_graph the backward is built from plain ops (for second derivatives):
      // it must give the same first derivatives as the fused kernel.
      const auto gg = grad({scaled_dot_product_attention(q, k, v, o)}, {q, k, v}, {w}, true);
      for (int i = 0; i < 3; ++i) require_close(gg[i], gf[i], 2e-5);
    }
}

TEST_CASE("fused attention's memory grows linearly in tokens, the naive one's quadratically",
          "[ops][attention]") {
  Backend& cpu = backend(Device::cpu);
  auto peak = [&](int64_t tokens, bool fused) {
    const Tensor q = test_input({1, 4, tokens, 32}, 1).requires_grad_();
    const Tensor k = test_input({1, 4, tokens, 32}, 2).requires_grad_();
    const Tensor v = test_input({1, 4, tokens, 32}, 3).requires_grad_();
    const size_t before = cpu.memory_stats().in_use;
    cpu.reset_peak_memory();
    {
      const Tensor y = fused ? scaled_dot_product_attention(q, k, v) : naive_attention(q, k, v);
      grad({sum(y)}, {q, k, v});
    }
    return static_cast<double>(cpu.memory_stats().peak_in_use - before);
  };
  const double fused_small = peak(256, true), fused_large = peak(1024, true);
  const double naive_small = peak(256, false), naive_large = peak(1024, false);
  INFO("fused " << fused_small << " -> " << fused_large << " bytes; naive " << naive_small
                << " -> " << naive_large);
  // 4x the tokens: linear memory grows 4x; the scores matrix would grow 16x.
  CHECK(fused_large <= 4.5 * fused_small);
  CHECK(naive_large >= 12 * naive_small);
  // Less than one tokens x tokens matrix per head, let alone the naive path's several.
  CHECK(fused_large < 4.0 * 1024 * 1024 * 4);
}

TEST_CASE("attention and RoPE errors, and RoPE's rotation", "[ops][attention]") {
  const Tensor q = Tensor::zeros({2, 5, 8});
  CHECK_THROWS_WITH(scaled_dot_product_attention(q, Tensor::zeros({2, 5, 4}), Tensor::zeros({2, 5, 4})),
                    Contains("scaled_dot_product_attention") && Contains("[..., Tq, D]"));
  CHECK_THROWS_WITH(scaled_dot_product_attention(q, q, q, {false, -1.0f}), Contains("scale"));
  CHECK_THROWS_WITH(rotary_embedding(Tensor::zeros({5, 7}), Tensor::zeros({5})), Contains("even"));
  CHECK_THROWS_WITH(rotary_embedding(q, Tensor::zeros({4})), Contains("positions"));
  // Position 0 leaves x alone; RoPE keeps norms; <R(m) a, R(n) b> depends on m - n only.
  const Tensor x = test_input({1, 1, 8}, 5);
  require_close(rotary_embedding(x, Tensor::zeros({1})), x, 1e-7);
  const Tensor a = test_input({1, 8}, 6), b = test_input({1, 8}, 7);
  auto rot = [](const Tensor& t, float p) { return rotary_embedding(t, Tensor::full({1}, p)); };
  CHECK(sum(square(rot(a, 3.0f))).item() == Approx(sum(square(a)).item()).epsilon(1e-5));
  CHECK(sum(mul(rot(a, 7.0f), rot(b, 4.0f))).item() ==
        Approx(sum(mul(rot(a, 13.0f), rot(b, 10.0f))).item()).epsilon(1e-4));
}
