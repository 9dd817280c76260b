// The exact Gaussian-mixture reference: its denoiser equals sigma^2 times its score
// plus x (Tweedie), computed independently by autodiff of the log-density.
#include <catch2/catch.hpp>

#include "core/autograd.h"
#include "core/ops.h"
#include "models/analytic/gaussian_mixture.h"

using namespace genlab;

TEST_CASE("mixture denoiser satisfies Tweedie: D = x + sigma^2 grad log p(x; sigma)", "[models]") {
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
}
