// FVSBN, NADE, MADE and the Transformer against the definition of an autoregressive model: the
// autoregressive property for every ordering and mask, the log-likelihood as a sum of
// one-at-a-time conditionals, normalization over all 2^D states (mask ensembles too),
// sampling frequencies (chi-square), and NADE's fused incremental pass against the naive
// one and against finite differences.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <memory>

#include "genlab/core/options.h"
#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/models/autoregressive/fvsbn.h"
#include "genlab/models/autoregressive/made.h"
#include "genlab/models/autoregressive/nade.h"
#include "genlab/models/autoregressive/nade_logits.h"
#include "genlab/models/autoregressive/transformer.h"
#include "tests/core/gradcheck.h"

using namespace genlab;

namespace {

// Every state of {0,1}^d, [2^d, d].
Tensor all_states(int64_t d) {
  std::vector<float> v;
  for (int64_t s = 0; s < (int64_t{1} << d); ++s)
    for (int64_t i = 0; i < d; ++i) v.push_back(static_cast<float>((s >> i) & 1));
  return Tensor::from_vector(v, {int64_t{1} << d, d});
}

// The models under test, each freshly built with nonzero biases so no term vanishes.
std::vector<std::pair<std::string, std::function<std::unique_ptr<AutoregressiveModel>(int64_t)>>>
models() {
  return {
      {"fvsbn",
       [](int64_t d) {
         Generator g(1);
         return std::make_unique<FVSBN>(d, g);
       }},
      {"nade",
       [](int64_t d) {
         Generator g(2);
         return std::make_unique<NADE>(d, 7, g);
       }},
      {"made natural",
       [](int64_t d) {
         Generator g(3);
         return std::make_unique<MADE>(MADEOptions{.dims = d, .hidden = {16}}, g);
       }},
      {"made 2 layers random order direct",
       [](int64_t d) {
         Generator g(4);
         return std::make_unique<MADE>(MADEOptions{.dims = d,
                                                   .hidden = {16, 12},
                                                   .ordering = InputOrdering::random,
                                                   .num_masks = 3,
                                                   .direct = true},
                                       g);
       }},
      {"transformer layernorm gelu",
       [](int64_t d) {
         Generator g(5);
         return std::make_unique<Transformer>(
             TransformerOptions{.dims = d, .layers = 2, .width = 16, .heads = 2}, g);
       }},
      {"transformer rmsnorm swiglu random order",
       [](int64_t d) {
         Generator g(6);
         return std::make_unique<Transformer>(TransformerOptions{.dims = d,
                                                                 .layers = 2,
                                                                 .width = 16,
                                                                 .heads = 4,
                                                                 .mlp = TransformerMlp::swiglu,
                                                                 .norm = NormKind::rmsnorm,
                                                                 .ordering = InputOrdering::random,
                                                                 .order_seed = 3},
                                              g);
       }},
  };
}

}  // namespace

TEST_CASE("autoregressive property: output d ignores inputs at or after d in the order",
          "[autoregressive]") {
  const int64_t d = 8;
  for (const auto& [name, make] : models()) {
    auto model = make(d);
    auto* made = dynamic_cast<MADE*>(model.get());
    for (int k = 0; k < (made ? made->num_masks() : 1); ++k) {
      if (made) made->use_mask(k);
      const auto order = model->order();
      std::vector<int64_t> position(d);
      for (int64_t p = 0; p < d; ++p) position[order[p]] = p;
      Tensor x = Generator(5).bernoulli(Tensor::full({3, d}, 0.5f)).requires_grad_();
      const Tensor out = model->logits(x);
      for (int64_t o = 0; o < d; ++o) {
        const Tensor g =
            grad({out}, {x}, {one_hot(Tensor::from_indices(std::vector<int32_t>(3, static_cast<int32_t>(o)), {3}), d)}, false, true)[0];
        const auto gv = g.to_vector();
        for (int64_t i = 0; i < d; ++i)
          if (position[i] >= position[o])
            for (int b = 0; b < 3; ++b) {
              INFO(name << " mask " << k << ": d logit_" << o << " / d x_" << i);
              CHECK(gv[b * d + i] == 0.0f);
            }
      }
    }
  }
}

TEST_CASE("log-likelihood is the sum of one-at-a-time conditionals", "[autoregressive]") {
  const int64_t d = 10;
  for (const auto& [name, make] : models()) {
    INFO(name);
    auto model = make(d);
    const Tensor x = Generator(6).bernoulli(Tensor::full({5, d}, 0.4f));
    const auto order = model->order();
    // Reveal x one dimension at a time (in the order): conditional i uses only x_<i.
    std::vector<double> total(5, 0.0);
    std::vector<float> partial(5 * d, 0.0f);
    const auto xv = x.to_vector();
    for (int64_t dim : order) {
      const auto l = model->logits(Tensor::from_vector(partial, {5, d})).to_vector();
      for (int b = 0; b < 5; ++b) {
        const double logit = l[b * d + dim], xi = xv[b * d + dim];
        total[b] += xi * logit - std::log1p(std::exp(logit));
        partial[b * d + dim] = xv[b * d + dim];
      }
    }
    const auto ll = model->log_prob(x).to_vector();
    for (int b = 0; b < 5; ++b) CHECK(ll[b] == Approx(total[b]).epsilon(1e-5));
  }
}

TEST_CASE("probabilities over all 2^D states sum to 1, mask ensembles included",
          "[autoregressive]") {
  const int64_t d = 10;
  const Tensor states = all_states(d);
  for (const auto& [name, make] : models()) {
    INFO(name);
    auto model = make(d);
    CHECK(sum(exp(model->log_prob(states))).item() == Approx(1.0).epsilon(1e-4));
    if (auto* made = dynamic_cast<MADE*>(model.get()); made && made->num_masks() > 1) {
      CHECK(sum(exp(made->ensemble_log_prob(states, 3))).item() == Approx(1.0).epsilon(1e-4));
      // Averaging logits instead is not a distribution: it would not sum to 1.
      std::vector<Tensor> logits;
      for (int k = 0; k < 3; ++k) made->use_mask(k), logits.push_back(made->logits(states));
      made->use_mask(0);
      const Tensor avg = (logits[0] + logits[1] + logits[2]) * (1.0f / 3.0f);
      CHECK(std::abs(sum(exp(bernoulli_log_prob(avg, states))).item() - 1.0) > 1e-3);
    }
  }
}

TEST_CASE("sampling frequencies match the model's probabilities (chi-square)", "[autoregressive]") {
  const int64_t d = 4, n = 40000;
  const Tensor states = all_states(d);
  for (const auto& [name, make] : models()) {
    INFO(name);
    auto model = make(d);
    const auto p = exp(model->log_prob(states)).to_vector();
    Generator rng(7);
    const auto s = model->sample(n, rng).to_vector();
    std::vector<double> count(16, 0);
    for (int64_t i = 0; i < n; ++i) {
      int idx = 0;
      for (int64_t j = 0; j < d; ++j) idx |= static_cast<int>(s[i * d + j]) << j;
      count[idx] += 1;
    }
    double chi2 = 0;
    for (int k = 0; k < 16; ++k) chi2 += (count[k] - n * p[k]) * (count[k] - n * p[k]) / (n * p[k]);
    // 15 degrees of freedom: P(chi2 > 37.7) = 0.001.
    CHECK(chi2 < 37.7);
  }
}

TEST_CASE("NADE's incremental pass equals the naive one and its gradients", "[autoregressive]") {
  Generator g(8);
  NADE nade(12, 9, g);
  Tensor x = Generator(9).bernoulli(Tensor::full({6, 12}, 0.5f));
  CHECK(max(abs(nade.logits(x) - nade.logits_naive(x)), {}).item() < 1e-5);
  // The same gradients with respect to the parameters.
  const auto params = nade.parameters();
  const auto g1 = grad({sum(nade.log_prob(x))}, params);
  const auto g2 = grad({sum(bernoulli_log_prob(nade.logits_naive(x), x))}, params);
  for (size_t i = 0; i < g1.size(); ++i) CHECK(max(abs(g1[i] - g2[i]), {}).item() < 1e-5);
}

TEST_CASE("NADE's masked form (what a GPU runs) equals the fused pass, with gradients", "[autoregressive]") {
  Generator g(18);
  NADE nade(13, 7, g);
  Tensor x = Generator(19).bernoulli(Tensor::full({5, 13}, 0.5f));
  CHECK(max(abs(nade.logits_masked(x) - nade.logits(x)), {}).item() < 1e-5);
  const auto params = nade.parameters();
  const auto g1 = grad({sum(bernoulli_log_prob(nade.logits(x), x))}, params);
  const auto g2 = grad({sum(bernoulli_log_prob(nade.logits_masked(x), x))}, params);
  for (size_t i = 0; i < g1.size(); ++i) CHECK(max(abs(g1[i] - g2[i]), {}).item() < 1e-5);
}

TEST_CASE("fused nade_logits: finite-difference gradients for x, W, c, V and b",
          "[autoregressive]") {
  // Real-valued x, so its gradient is checked too; D = 11 is not a multiple of the
  // checkpoint spacing (4), so the last, shorter segment is exercised.
  const std::vector<Tensor> inputs{testing::test_input({3, 11}, 1), testing::test_input({5, 11}, 2),
                                   testing::test_input({5}, 3), testing::test_input({11, 5}, 4),
                                   testing::test_input({11}, 5)};
  const auto r = testing::gradcheck(
      [](const std::vector<Tensor>& in) { return nade_logits(in[0], in[1], in[2], in[3], in[4]); },
      inputs);
  INFO(r.report);
  CHECK(r.ok);
}

TEST_CASE("fused nade_logits: same values and gradients on 1 and 2 threads, no second derivative",
          "[autoregressive]") {
  // Big enough (B D H = 64 x 40 x 20) to be split over threads.
  Generator g(12);
  NADE nade(40, 20, g);
  const Tensor x = Generator(13).bernoulli(Tensor::full({64, 40}, 0.4f));
  const int threads = num_threads();
  std::vector<std::vector<float>> results;
  for (int t : {1, 2}) {
    set_num_threads(t);
    const auto params = nade.parameters();
    const auto grads = grad({sum(nade.log_prob(x))}, params);
    std::vector<float> all = nade.logits(x).to_vector();
    for (const Tensor& gr : grads) {
      const auto v = gr.to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
    results.push_back(all);
  }
  set_num_threads(threads);
  REQUIRE(results[0].size() == results[1].size());
  float worst = 0.0f;
  for (size_t i = 0; i < results[0].size(); ++i)
    worst = std::max(worst, std::abs(results[0][i] - results[1][i]));
  CHECK(worst < 1e-4f);
  CHECK(max(abs(nade.logits(x) - nade.logits_naive(x)), {}).item() < 1e-5);
  const auto params = nade.parameters();
  CHECK_THROWS_WITH(grad({sum(nade.log_prob(x))}, params, {}, /*create_graph=*/true),
                    Catch::Contains("second derivatives"));
}

TEST_CASE("MADE: mask sets have their own orderings, and an ensemble of one mask equals log_prob",
          "[autoregressive]") {
  Generator g(10);
  MADE made({.dims = 6, .hidden = {20}, .ordering = InputOrdering::random, .num_masks = 2}, g);
  const Tensor x = Generator(11).bernoulli(Tensor::full({4, 6}, 0.5f));
  CHECK(max(abs(made.ensemble_log_prob(x, 1) - made.log_prob(x)), {}).item() < 1e-6);
  const auto o0 = made.order();
  made.use_mask(1);
  CHECK(made.order() != o0);  // order-agnostic: another ordering per mask set
  CHECK_THROWS(made.use_mask(2));
  CHECK_THROWS_WITH(value_of<InputOrdering>("reverse"), Catch::Matchers::Contains("natural, random"));
}
