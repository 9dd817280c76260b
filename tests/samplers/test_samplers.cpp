// Every sampler on the exact Gaussian mixture: samples match exact samples at its default
// step count (and a deliberately broken model fails the same threshold), exact NFE
// counts, the same ODE in all four processes' coordinates, options by name,
// reproducibility and batch independence.
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"
#include "tests/samplers/sampler_test_helpers.h"

using namespace genlab;
using genlab::testing::covariance;
using genlab::testing::exact_floor;
using genlab::testing::ScaledDenoiser;

namespace {

SampleResult run(const std::string& name, const Denoiser& d, const Process& p, int steps,
                 const Tensor& noise, const SamplerParams& params = {}, uint64_t seed = 9,
                 int64_t first_row = 0) {
  const auto t = make_time_grid(p, {.kind = "edm", .steps = steps});
  return make_sampler(name, params)
      ->sample(d, p, t, noise, {Generator(seed).derive("steps"), first_row});
}

}  // namespace

TEST_CASE("every sampler at its default steps matches exact samples, and a 10% wrong D fails",
          "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const int64_t n = 4000;
  // Two exact sets of this size differ by `floor` on average (~0.031; single pairs range
  // over about +-50%: the estimator mostly sees how many points each mode got). A sampler
  // passes below 2x that; scaling D by 0.9 shrinks the ring by ~10%, a distance of ~0.3
  // here, and fails for every sampler.
  const double floor = exact_floor(gm, n, 4, 21);
  const double threshold = 2.0 * floor;
  Generator rng(22);
  const Tensor exact = gm.sample(n, rng);
  const Tensor noise = Generator(23).normal_rows({n, 2}, 0);
  const auto p = make_edm();
  const ScaledDenoiser broken(gm, 0.9f);
  for (const auto& name : sampler_names()) {
    const int steps = default_steps(name);
    const double sw = sliced_wasserstein(run(name, gm, *p, steps, noise).x, exact);
    const double sw_broken = sliced_wasserstein(run(name, broken, *p, steps, noise).x, exact);
    INFO(name << " at " << steps << " steps: sw " << sw << ", broken " << sw_broken
              << ", threshold " << threshold);
    CHECK(sw < threshold);
    CHECK(sw_broken > threshold);
  }
}

TEST_CASE("every sampler reproduces the moments of a broad mixture, and a 10% wrong D fails",
          "[samplers]") {
  // On the narrow ring every reasonable dynamics ends in the modes; on a mixture with broad
  // overlapping components a wrong noise or drift factor shows in the covariance (halving
  // Euler-Maruyama's noise variance gives a relative error of ~0.46 here, a 0.9 factor on D
  // ~0.2). Exact sets of 4000 differ from the true moments by ~0.01-0.02.
  const GaussianMixture gm = GaussianMixture::random(2, 4, 3);
  Generator rng(27);
  const Tensor big = gm.sample(400000, rng);
  const Tensor true_cov = covariance(big), true_mean = mean(big, {0});
  auto cov_error = [&](const Tensor& x) {
    return std::sqrt(sum(square(covariance(x) - true_cov)).item() / sum(square(true_cov)).item());
  };
  const Tensor noise = Generator(28).normal_rows({4000, 2}, 0);
  const auto p = make_edm();
  const ScaledDenoiser broken(gm, 0.9f);
  for (const auto& name : sampler_names()) {
    const int steps = default_steps(name);
    const Tensor x = run(name, gm, *p, steps, noise).x;
    const double err = cov_error(x),
                 mean_err = std::sqrt(sum(square(mean(x, {0}) - true_mean)).item());
    const double broken_err = cov_error(run(name, broken, *p, steps, noise).x);
    INFO(name << " at " << steps << " steps: covariance error " << err << ", mean error "
              << mean_err << ", broken " << broken_err);
    CHECK(err < 0.1);
    CHECK(mean_err < 0.05);
    CHECK(broken_err > 0.1);
  }
}

TEST_CASE("a sign error in the model is caught", "[samplers]") {
  // An asymmetric mixture: on the ring, -D(x) is as good as D(x) (the ring is symmetric
  // under x -> -x), so a sign error would go unseen there.
  const GaussianMixture gm = GaussianMixture::random(2, 5, 3);
  Generator rng(24);
  const Tensor exact = gm.sample(2000, rng);
  const double threshold = 2.0 * exact_floor(gm, 2000, 4, 25);
  const ScaledDenoiser flipped(gm, -1.0f);
  const Tensor noise = Generator(26).normal_rows({2000, 2}, 0);
  for (const char* name : {"heun", "dpmpp_2m", "edm_stochastic"})
    CHECK(sliced_wasserstein(run(name, flipped, *make_edm(), 18, noise).x, exact) > threshold);
}

TEST_CASE("NFE is counted exactly", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor noise = Generator(1).normal_rows({8, 2}, 0);
  const auto p = make_vp();
  const int n = 12;
  CHECK(run("euler", gm, *p, n, noise).nfe == n);
  CHECK(run("heun", gm, *p, n, noise).nfe == 2 * n - 1);
  CHECK(run("ddim", gm, *p, n, noise).nfe == n);
  CHECK(run("dpmpp_2m", gm, *p, n, noise).nfe == n);
  CHECK(run("rk4", gm, *p, n, noise).nfe == 4 * n - 3);
  CHECK(run("edm_stochastic", gm, *p, n, noise).nfe == 2 * n - 1);
  CHECK(run("euler_maruyama", gm, *p, n, noise).nfe == n);
  CHECK(run("euler_ancestral", gm, *p, n, noise).nfe == n);
  // pc: 2 correctors and a predictor per level; the last level is the final denoising step.
  CHECK(run("pc", gm, *p, n, noise, {{"corrector_steps", 2}}).nfe == 3 * (n - 1) + 1);
  // rk45, a step size per sample: each sample's count is 6 stages per attempted step plus
  // the first evaluation, the initial-step heuristic's one and the final step's one; a
  // batch reports the mean of its samples' counts (rounded).
  double mean_alone = 0;
  for (int64_t r = 0; r < 8; ++r) {
    const int64_t alone = run("rk45", gm, *p, n, slice(noise, 0, r, r + 1)).nfe;
    CHECK(alone % 6 == 3);
    mean_alone += alone / 8.0;
  }
  CHECK(run("rk45", gm, *p, n, noise).nfe == std::llround(mean_alone));
  // Round two: one evaluation per step for the multistep ones, two for the singlestep
  // second-order ones; restart adds restart_times x restart_steps Heun steps (two each).
  for (const char* one : {"lms", "unipc", "dpmpp_2m_sde", "dpmpp_3m_sde"}) {
    INFO(one);
    CHECK(run(one, gm, *p, n, noise).nfe == n);
  }
  CHECK(run("dpmpp_2s_ancestral", gm, *p, n, noise).nfe == 2 * n - 1);
  CHECK(run("dpmpp_sde", gm, *p, n, noise).nfe == 2 * n - 1);
  CHECK(run("restart", gm, *p, n, noise, {{"restart_times", 3}, {"restart_steps", 4}}).nfe ==
        2 * n - 1 + 3 * 4 * 2);
  // No grid point below restart_max: no restarts.
  CHECK(run("restart", gm, *p, n, noise, {{"restart_min", 1e-6}, {"restart_max", 1e-5}}).nfe == 2 * n - 1);
}

TEST_CASE("the four processes integrate the same ODE from the same noise", "[samplers]") {
  // With many Heun steps each process's solution converges to the same map noise -> x0
  // when all start from the same sigma range (VE steps in t = sigma^2 and needs more).
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor noise = Generator(3).normal_rows({200, 2}, 0);
  const auto edm = make_edm({.sigma_min = 0.002, .sigma_max = 80});
  const Tensor ref = run("heun", gm, *edm, 400, noise).x;
  const auto vp_t = [](double sig) {
    return (std::sqrt(0.01 + 2 * 19.9 * std::log1p(sig * sig)) - 0.1) / 19.9;
  };
  for (auto& p : {make_ve({.sigma_min = 0.002, .sigma_max = 80}),
                  make_flow({.t_min = 0.002 / 1.002, .t_max = 80.0 / 81.0}),
                  make_vp({.t_min = vp_t(0.002), .t_max = vp_t(80)})}) {
    INFO(p->name());
    const Tensor x = run("heun", gm, *p, 400, noise).x;
    CHECK(max(abs(x - ref), {}).item() < 2e-3);
  }
}

TEST_CASE("samplers by name: options validated, allowed names listed", "[samplers]") {
  CHECK(sampler_names().size() == 20);
  CHECK(option_values(sampler_defaults("edm_stochastic")).at("S_churn") == "40");
  CHECK_THROWS_WITH(make_sampler("dpm"), Catch::Matchers::Contains("euler, heun, ddim"));
  CHECK_THROWS_WITH(make_sampler("euler_ancestral", {{"etta", 1}}),
                    Catch::Matchers::Contains("allowed: eta"));
  CHECK_THROWS_WITH(make_sampler("heun", {{"eta", 1}}), Catch::Matchers::Contains("allowed: none"));
  CHECK_THROWS(make_sampler("pc", {{"corrector_steps", 1.5}}));
  CHECK_THROWS(make_sampler("rk45", {{"rtol", 0}}));
  // eta = 0 turns ancestral sampling into DDIM exactly.
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor noise = Generator(4).normal_rows({50, 2}, 0);
  const auto p = make_vp();
  CHECK(max(abs(run("euler_ancestral", gm, *p, 20, noise, {{"eta", 0}}).x -
                run("ddim", gm, *p, 20, noise).x),
            {})
            .item() == 0.0f);
  // S_churn = 0 turns EDM's stochastic sampler into Heun exactly.
  CHECK(max(abs(run("edm_stochastic", gm, *p, 20, noise, {{"S_churn", 0}}).x -
                run("heun", gm, *p, 20, noise).x),
            {})
            .item() == 0.0f);
}

TEST_CASE("samples depend only on the seed and their index", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const auto p = make_edm();
  const Generator g = Generator(5).derive("noise");
  const Tensor noise_all = g.normal_rows({20, 2}, 0), noise_part = g.normal_rows({5, 2}, 10);
  for (const auto& name : sampler_names()) {
    INFO(name);
    const Tensor all = run(name, gm, *p, 16, noise_all, {}, 6, 0).x;
    const Tensor again = run(name, gm, *p, 16, noise_all, {}, 6, 0).x;
    const Tensor part = run(name, gm, *p, 16, noise_part, {}, 6, 10).x;
    CHECK(max(abs(all - again), {}).item() == 0.0f);
    // The adaptive samplers share step sizes across their batch, so only they may differ,
    // by their tolerances (rk45: 1e-5; dpm_adaptive: rtol 0.05, atol 0.0078).
    const double tol = name == "rk45" ? 1e-3 : name == "dpm_adaptive" ? 0.05 : 1e-5;
    CHECK(max(abs(part - slice(all, 0, 10, 15)), {}).item() < tol);
    if (make_sampler(name)->stochastic()) {
      const Tensor other_seed = run(name, gm, *p, 16, noise_all, {}, 7, 0).x;
      CHECK(max(abs(all - other_seed), {}).item() > 1e-3);
    }
  }
}
