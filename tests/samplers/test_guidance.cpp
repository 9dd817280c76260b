// Classifier-free guidance against exact references: on a class-conditional Gaussian
// mixture (class c = component c) w = 1 is the conditional denoiser and w = 0 the
// unconditional one, exactly; the interval switches guidance off outside [lo, hi]; NFE
// counts both evaluations; and guided sampling of two Gaussians lands on the closed-form
// solution of the guided probability-flow ODE, which for w > 1 overshoots the class mean
// away from the unconditional one.
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/models/analytic/class_conditional_mixture.h"
#include "genlab/samplers/guidance.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

using namespace genlab;
using Catch::Matchers::Contains;

namespace {

ClassConditionalMixture three_classes() {
  return ClassConditionalMixture(Tensor::from_vector({0.5f, 0.3f, 0.2f}, {3}),
                                 Tensor::from_vector({-2.0f, 0.0f, 1.0f, 1.5f, 2.0f, -1.0f}, {3, 2}),
                                 Tensor::from_vector({0.1f, 0.2f, 0.3f, 0.05f, 0.2f, 0.2f}, {3, 2}));
}

Tensor labels_of(std::vector<int32_t> l) {
  const int64_t n = static_cast<int64_t>(l.size());
  return Tensor::from_indices(l, {n});
}

float max_diff(const Tensor& a, const Tensor& b) { return max(abs(a - b), {}).item(); }

// Two isotropic Gaussians in D dims: the class N(mu_c, s_c^2 I) and the "unconditional"
// N(mu_u, s_u^2 I), as a conditional denoiser with one class.
class TwoGaussians : public Denoiser {
 public:
  TwoGaussians(float mu_c, float s_c, float mu_u, float s_u, int64_t d)
      : cond_(Tensor::ones({1}), Tensor::full({1, d}, mu_c), Tensor::full({1, d}, s_c * s_c)),
        uncond_(Tensor::ones({1}), Tensor::full({1, d}, mu_u), Tensor::full({1, d}, s_u * s_u)) {}
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override { return uncond_.denoise(x, sigma); }
  Tensor denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const override {
    const auto l = labels.to_index_vector();
    const Tensor c = cond_.denoise(x, sigma), u = uncond_.denoise(x, sigma);
    std::vector<float> pick(l.size());
    for (size_t i = 0; i < l.size(); ++i) pick[i] = l[i] == 0 ? 1.0f : 0.0f;
    const Tensor m = reshape(Tensor::from_vector(pick, {static_cast<int64_t>(l.size())}), {-1, 1});
    return c * m + u * (1.0f - m);
  }
  int64_t dims() const override { return cond_.dims(); }
  int64_t num_classes() const override { return 1; }

 private:
  GaussianMixture cond_, uncond_;
};

// The guided PF-ODE dx/dsigma = (x - D_w(x; sigma)) / sigma is linear for two Gaussians:
// with g(sigma) = (s_c^2 + sigma^2)^(w/2) (s_u^2 + sigma^2)^((1-w)/2),
//   x(0) = g(0) [x(S) / g(S) + int_0^S c(sigma) / (sigma g(sigma)) dsigma],
//   c(sigma) / sigma = sigma (w mu_c / (s_c^2 + sigma^2) + (1 - w) mu_u / (s_u^2 + sigma^2)).
// Returns (a, b) with x(0) = a x(S) + b (the integral by Simpson's rule on 20000 panels).
std::pair<double, double> guided_map(double w, double mu_c, double s_c, double mu_u, double s_u,
                                     double S) {
  auto g = [&](double s) {
    return std::pow(s_c * s_c + s * s, w / 2) * std::pow(s_u * s_u + s * s, (1 - w) / 2);
  };
  auto f = [&](double s) {
    return s * (w * mu_c / (s_c * s_c + s * s) + (1 - w) * mu_u / (s_u * s_u + s * s)) / g(s);
  };
  const int m = 20000;
  const double h = S / m;
  double integral = f(0) + f(S);
  for (int i = 1; i < m; ++i) integral += (i % 2 ? 4 : 2) * f(i * h);
  integral *= h / 3;
  return {g(0) / g(S), g(0) * integral};
}

}  // namespace

TEST_CASE("guidance w = 1 is the conditional denoiser and w = 0 the unconditional one, exactly",
          "[samplers][guidance]") {
  const ClassConditionalMixture m = three_classes();
  Generator rng(3);
  const Tensor x = rng.normal({6, 2}) * 2.0f;
  const Tensor sigma = Tensor::from_vector({0.01f, 0.1f, 0.5f, 1.0f, 3.0f, 20.0f}, {6});
  const Tensor labels = labels_of({0, 1, 2, 0, 1, 2});
  const Tensor cond = m.denoise(x, sigma, labels), uncond = m.denoise(x, sigma);
  CHECK(max_diff(GuidedDenoiser(m, labels, {.scale = 1.0}).denoise(x, sigma), cond) == 0.0f);
  CHECK(max_diff(GuidedDenoiser(m, labels, {.scale = 0.0}).denoise(x, sigma), uncond) == 0.0f);
  // The conditional denoiser is each row's component, the null label the mixture.
  CHECK(max_diff(slice(cond, 0, 1, 2), m.component(1).denoise(slice(x, 0, 1, 2), slice(sigma, 0, 1, 2))) == 0.0f);
  CHECK(max_diff(m.denoise(x, sigma, labels_of({3, 3, 3, 3, 3, 3})), uncond) == 0.0f);
  // w = 3: the formula, row by row.
  const Tensor w3 = GuidedDenoiser(m, labels, {.scale = 3.0}).denoise(x, sigma);
  CHECK(max_diff(w3, uncond + (cond - uncond) * 3.0f) < 1e-5f);
  CHECK(max_diff(w3, cond) > 0.01f);
  // The interval [0.4, 2]: rows 2 and 3 guided, the others conditional.
  const Tensor in = GuidedDenoiser(m, labels, {.scale = 3.0, .sigma_lo = 0.4, .sigma_hi = 2.0})
                        .denoise(x, sigma);
  CHECK(max_diff(slice(in, 0, 2, 4), slice(w3, 0, 2, 4)) < 1e-6f);
  CHECK(max_diff(slice(in, 0, 0, 2), slice(cond, 0, 0, 2)) == 0.0f);
  CHECK(max_diff(slice(in, 0, 4, 6), slice(cond, 0, 4, 6)) == 0.0f);
}

TEST_CASE("guided sampling counts both evaluations as NFE, only inside the interval",
          "[samplers][guidance]") {
  const ClassConditionalMixture m = three_classes();
  const auto p = make_process("edm");
  const auto t = make_time_grid(*p, {.kind = "edm", .steps = 10});
  const Tensor noise = Generator(1).normal({30, 2});
  const Tensor labels = labels_of(std::vector<int32_t>(30, 1));
  auto nfe = [&](const GuidanceOptions& g) {
    return make_sampler("euler")->sample(GuidedDenoiser(m, labels, g), *p, t, noise).nfe;
  };
  CHECK(nfe({.scale = 1.0}) == 10);
  CHECK(nfe({.scale = 2.0}) == 20);
  CHECK(nfe({.scale = 0.0}) == 10);
  // Grid sigmas above 5 (the first few) are outside [0, 5]: those steps count once.
  int inside = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i) inside += p->sigma(t[i]) <= 5.0;
  CHECK(nfe({.scale = 2.0, .sigma_lo = 0.0, .sigma_hi = 5.0}) == 10 + inside);
}

TEST_CASE("guided heun sampling of two Gaussians matches the closed-form guided ODE",
          "[samplers][guidance]") {
  const double mu_c = 1.0, s_c = 0.3, mu_u = -0.5, s_u = 1.2, S = 80.0;
  const TwoGaussians d(static_cast<float>(mu_c), static_cast<float>(s_c), static_cast<float>(mu_u),
                       static_cast<float>(s_u), 2);
  const auto p = make_process("edm");
  const auto t = make_time_grid(*p, {.kind = "edm", .steps = 256, .sigma_max = S});
  const int64_t n = 200;
  const Tensor noise = Generator(5).normal({n, 2});
  const Tensor labels = labels_of(std::vector<int32_t>(n, 0));
  double previous_mean = -1e9;
  for (const double w : {0.0, 1.0, 2.0, 4.0}) {
    const Tensor x = make_sampler("heun")->sample(GuidedDenoiser(d, labels, {.scale = w}), *p, t, noise).x;
    const auto [a, b] = guided_map(w, mu_c, s_c, mu_u, s_u, S);
    const Tensor expected = noise * static_cast<float>(a * S) + static_cast<float>(b);
    INFO("w = " << w << ": x(0) = " << a * S << " z + " << b);
    CHECK(max_diff(x, expected) < 2e-3f);
    // w = 1 is the class's distribution, w = 0 the unconditional one (up to the bias
    // mu s / S of starting from zero-mean noise at sigma = S).
    if (w == 1.0) {
      CHECK(std::abs(a * S - s_c) < 1e-3);
      CHECK(std::abs(b - mu_c) < 0.01);
    }
    if (w == 0.0) {
      CHECK(std::abs(a * S - s_u) < 1e-3);
      CHECK(std::abs(b - mu_u) < 0.01);
    }
    // w > 1 moves the samples past the class mean, away from the unconditional one,
    // and narrows them.
    const double mean_x = mean(x).item();
    if (w > 1.0) {
      CHECK(mean_x > mu_c + 0.1);
      CHECK(a * S < 0.5 * s_c);
    }
    CHECK(mean_x > previous_mean - (w > 2.0 ? 1.0 : 0.0));
    previous_mean = mean_x;
  }
}

TEST_CASE("guided sampling of the class-conditional mixture concentrates on the class",
          "[samplers][guidance]") {
  const ClassConditionalMixture m = three_classes();
  const auto p = make_process("edm");
  const auto t = make_time_grid(*p, {.kind = "edm", .steps = 32});
  const int64_t n = 600;
  const Tensor noise = Generator(8).normal({n, 2});
  std::vector<int32_t> l(n);
  for (int64_t i = 0; i < n; ++i) l[i] = static_cast<int32_t>(i % 3);
  const Tensor labels = labels_of(l);
  const Tensor mu = Tensor::from_vector({-2.0f, 0.0f, 1.0f, 1.5f, 2.0f, -1.0f}, {3, 2});
  // How often a sample's most likely component (by the exact component densities) is
  // its class: the analytic "class accuracy".
  auto class_accuracy = [&](double w) {
    const Tensor x = make_sampler("heun")->sample(GuidedDenoiser(m, labels, {.scale = w}), *p, t, noise).x;
    const Tensor s = Tensor::full({n}, 1e-3f);
    std::vector<std::vector<float>> lp;
    for (int64_t k = 0; k < 3; ++k) lp.push_back(m.component(k).log_density(x, s).to_vector());
    int hits = 0;
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < 3; ++k)
        if (lp[k][i] > lp[best][i]) best = k;
      hits += best == l[i];
    }
    return static_cast<double>(hits) / n;
  };
  const double a0 = class_accuracy(0.0), a1 = class_accuracy(1.0), a4 = class_accuracy(4.0);
  INFO(a0 << " " << a1 << " " << a4);
  CHECK(a0 < 0.5);    // unconditional samples land on any component (weights 0.5, 0.3, 0.2)
  CHECK(a1 > 0.95);   // conditional ones on their own
  CHECK(a4 >= a1);    // guidance only sharpens
}

TEST_CASE("guidance refuses unconditional denoisers, null labels and bad intervals",
          "[samplers][guidance]") {
  const ClassConditionalMixture m = three_classes();
  const GaussianMixture plain = GaussianMixture::eight_gaussians();
  CHECK_THROWS_WITH(GuidedDenoiser(plain, labels_of({0}), {.scale = 2.0}), Contains("unconditional"));
  CHECK_THROWS_WITH(GuidedDenoiser(m, labels_of({3}), {.scale = 2.0}), Contains("null label"));
  CHECK_THROWS_WITH(GuidedDenoiser(m, labels_of({4}), {.scale = 2.0}), Contains("outside 0..2"));
  CHECK_THROWS_WITH(GuidedDenoiser(m, labels_of({1}), {.scale = 2.0, .sigma_lo = 3, .sigma_hi = 1}),
                    Contains("interval"));
  CHECK_THROWS_WITH(LabeledDenoiser(m, labels_of({0, 1})).denoise(Tensor::zeros({3, 2}), Tensor::ones({3})),
                    Contains("3 rows for 2 labels"));
}
