// The exact Gaussian-mixture reference: its denoiser equals sigma^2 times its score
// plus x (Tweedie), computed independently by autodiff of the log-density.
#include <catch2/catch.hpp>

#include <cmath>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/models/analytic/gaussian_mixture.h"

using namespace genlab;

TEST_CASE("mixture denoiser satisfies Tweedie: D = x + sigma^2 grad log p(x, sigma)", "[models]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  Tensor x = Generator(1).normal({50, 2}).requires_grad_();
  const Tensor sigma = Generator(2).uniform({50}, 0.05f, 2.0f);
  const Tensor score = grad({sum(gm.log_density(x, sigma))}, {x})[0];
  const Tensor tweedie = x.detach() + score * reshape(square(sigma), {-1, 1});
  CHECK(max(abs(gm.denoise(x.detach(), sigma) - tweedie), {}).item() < 1e-4);
}

TEST_CASE("mixture samples have the mixture's moments", "[models]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  Generator rng(3);
  const Tensor s = gm.sample(100000, rng);
  const auto m = mean(s, {0}).to_vector();
  CHECK(std::abs(m[0]) < 0.01);
  CHECK(std::abs(m[1]) < 0.01);
  // E|x|^2 = 1 (unit ring) + 2 * 0.01 (component variance in each of 2 dims).
  CHECK(mean(sum(square(s), {1})).item() == Approx(1.02).epsilon(0.01));
  // The closed-form per-dimension standard deviation: sqrt(1.02 / 2) (the ring is centred),
  // and the sample's own.
  CHECK(gm.data_std() == Approx(std::sqrt(0.51)).epsilon(1e-5));
  CHECK(gm.data_std() == Approx(std::sqrt(mean(square(s)).item())).epsilon(0.01));
}

TEST_CASE("full-covariance mixture: Tweedie, exact density, sample covariance", "[models]") {
  const GaussianMixture gm = GaussianMixture::random(16, 3, 7);
  CHECK(gm.dims() == 16);
  Tensor x = Generator(4).normal({20, 16}).requires_grad_();
  const Tensor sigma = Generator(5).uniform({20}, 0.05f, 2.0f);
  const Tensor score = grad({sum(gm.log_density(x, sigma))}, {x})[0];
  CHECK(max(abs(gm.score(x.detach(), sigma) - score), {}).item() <
        2e-3 * max(abs(score), {}).item());

  // One component with a known covariance: the density against the direct formula.
  const Tensor cov = Tensor::from_vector({2.0f, 0.6f, 0.6f, 0.5f}, {1, 2, 2});
  const GaussianMixture one =
      GaussianMixture::with_covariances(Tensor::ones({1}), Tensor::zeros({1, 2}), cov);
  const Tensor pt = Tensor::from_vector({0.3f, -0.7f}, {1, 2});
  // S + 0.25 I = [[2.25, 0.6], [0.6, 0.75]], det = 1.3275; its inverse applied to pt.
  const double det = 2.25 * 0.75 - 0.36,
               q = (0.75 * 0.09 - 2 * 0.6 * 0.3 * -0.7 + 2.25 * 0.49) / det;
  CHECK(one.log_density(pt, Tensor::full({1}, 0.5f)).item() ==
        Approx(-0.5 * q - 0.5 * std::log(det) - std::log(2 * M_PI)).epsilon(1e-5));
  Generator rng(6);
  const Tensor s = one.sample(200000, rng);
  const auto c = (matmul(s, s, true, false) * (1.0f / 200000)).to_vector();
  CHECK(c[0] == Approx(2.0).epsilon(0.02));
  CHECK(c[1] == Approx(0.6).epsilon(0.03));
  CHECK(c[3] == Approx(0.5).epsilon(0.02));
  // Diagonal covariances given in full form give the diagonal mixture's denoiser.
  const GaussianMixture ring = GaussianMixture::eight_gaussians();
  std::vector<float> full;
  for (int k = 0; k < 8; ++k) full.insert(full.end(), {0.01f, 0.0f, 0.0f, 0.01f});
  std::vector<float> mu;
  for (int k = 0; k < 8; ++k)
    mu.insert(mu.end(), {float(std::cos(k * M_PI / 4)), float(std::sin(k * M_PI / 4))});
  const GaussianMixture ring_full = GaussianMixture::with_covariances(
      Tensor::ones({8}), Tensor::from_vector(mu, {8, 2}), Tensor::from_vector(full, {8, 2, 2}));
  const Tensor y = Generator(8).normal({30, 2});
  const Tensor sg = Tensor::full({30}, 0.3f);
  CHECK(max(abs(ring.denoise(y, sg) - ring_full.denoise(y, sg)), {}).item() < 1e-5);
  CHECK_THROWS_WITH(GaussianMixture::with_covariances(Tensor::ones({1}), Tensor::zeros({1, 2}),
                                                      Tensor::from_vector({1, 2, 2, 1}, {1, 2, 2})),
                    Catch::Matchers::Contains("positive definite"));
}

TEST_CASE("mixture presets: 25-grid and random mixtures", "[models]") {
  const GaussianMixture grid = GaussianMixture::grid25();
  CHECK(grid.components() == 25);
  Generator rng(9);
  const Tensor s = grid.sample(50000, rng);
  CHECK(mean(square(s)).item() == Approx(0.5 + 0.0025).epsilon(0.02));  // E m^2 over {-1..1} = 0.5
  const GaussianMixture r64 = GaussianMixture::random(64, 5, 1);
  CHECK(r64.dims() == 64);
  CHECK(r64.components() == 5);
  // Same seed, same mixture; another seed, another.
  const Tensor x = Generator(10).normal({4, 64});
  const Tensor sg = Tensor::full({4}, 0.5f);
  CHECK(
      max(abs(r64.denoise(x, sg) - GaussianMixture::random(64, 5, 1).denoise(x, sg)), {}).item() ==
      0.0f);
  CHECK(max(abs(r64.denoise(x, sg) - GaussianMixture::random(64, 5, 2).denoise(x, sg)), {}).item() >
        0.1f);
}
