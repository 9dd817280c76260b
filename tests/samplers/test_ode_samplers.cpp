// Processes, the EDM time grid, and Euler/Heun on the exact Gaussian mixture: samples
// against exact samples (sliced Wasserstein), a deliberately broken denoiser rejected,
// the same ODE in all four processes' coordinates, and reproducibility.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/ops.h"
#include "models/analytic/gaussian_mixture.h"
#include "samplers/ode_samplers.h"

using namespace genlab;

namespace {

// Sliced Wasserstein-2 between equal-size 2-D sample sets, over fixed directions.
double sliced_wasserstein(const Tensor& a, const Tensor& b, int directions = 64) {
  const auto av = a.to_vector(), bv = b.to_vector();
  const int64_t n = a.size(0);
  double total = 0;
  for (int k = 0; k < directions; ++k) {
    const double th = M_PI * k / directions, c = std::cos(th), s = std::sin(th);
    std::vector<double> pa(n), pb(n);
    for (int64_t i = 0; i < n; ++i) {
      pa[i] = c * av[2 * i] + s * av[2 * i + 1];
      pb[i] = c * bv[2 * i] + s * bv[2 * i + 1];
    }
    std::sort(pa.begin(), pa.end());
    std::sort(pb.begin(), pb.end());
    for (int64_t i = 0; i < n; ++i) total += (pa[i] - pb[i]) * (pa[i] - pb[i]);
  }
  return std::sqrt(total / (directions * n));
}

// A helper that breaks the model on purpose: D scaled by a wrong factor.
class ScaledDenoiser : public Denoiser {
 public:
  ScaledDenoiser(const Denoiser& inner, float factor) : inner_(inner), factor_(factor) {}
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override { return inner_.denoise(x, sigma) * factor_; }
  int64_t dims() const override { return inner_.dims(); }

 private:
  const Denoiser& inner_;
  float factor_;
};

}  // namespace

TEST_CASE("processes: sigma and t invert each other; derivatives match differences", "[samplers]") {
  for (const char* name : {"vp", "ve", "edm", "flow"}) {
    INFO(name);
    const auto p = make_process(name);
    for (double sig : {0.01, 0.3, 2.0, 40.0}) CHECK(p->sigma(p->t_of_sigma(sig)) == Approx(sig).epsilon(1e-9));
    const double t = p->t_of_sigma(0.7), h = 1e-6;
    CHECK(p->sigma_deriv(t) == Approx((p->sigma(t + h) - p->sigma(t - h)) / (2 * h)).epsilon(1e-5));
    CHECK(p->s_deriv(t) == Approx((p->s(t + h) - p->s(t - h)) / (2 * h)).epsilon(1e-5).margin(1e-9));
  }
  CHECK(make_vp()->sigma(1.0) == Approx(std::sqrt(std::exp(0.5 * 19.9 + 0.1) - 1)));
  CHECK(make_flow()->s(0.25) == 0.75);
  CHECK_THROWS_WITH(make_process("ddpm"), Catch::Matchers::Contains("vp, ve, edm, flow"));
}

TEST_CASE("EDM grid: rho schedule from sigma_max to sigma_min, then 0", "[samplers]") {
  const auto p = make_edm();
  const auto t = karras_times(*p, 18);
  REQUIRE(t.size() == 19);
  CHECK(t.front() == Approx(80.0));
  CHECK(t[17] == Approx(0.002));
  CHECK(t.back() == 0.0);
  CHECK(std::is_sorted(t.rbegin(), t.rend()));
}

TEST_CASE("Heun on the exact mixture reproduces exact samples in every process", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  Generator rng(1);
  const int n = 4000;
  const Tensor exact = gm.sample(n, rng), exact2 = gm.sample(n, rng);
  // Two independent exact sets of this size differ by this much: the noise floor.
  const double floor_sw = sliced_wasserstein(exact, exact2);
  const Tensor noise = Generator(2).normal_rows({n, 2}, 0);
  for (const char* name : {"edm", "vp", "ve", "flow"}) {
    INFO(name);
    const auto p = make_process(name);
    const auto r = sample_heun(gm, *p, karras_times(*p, 18), noise);
    CHECK(r.nfe == 35);
    const double sw = sliced_wasserstein(r.x, exact);
    INFO("sw " << sw << " floor " << floor_sw);
    CHECK(sw < 2.0 * floor_sw);
    // A denoiser 10% off (a wrong factor) must fail the same threshold.
    const ScaledDenoiser broken(gm, 0.9f);
    CHECK(sliced_wasserstein(sample_heun(broken, *p, karras_times(*p, 18), noise).x, exact) > 2.0 * floor_sw);
  }
}

TEST_CASE("the four processes integrate the same ODE from the same noise", "[samplers]") {
  // With many Heun steps (400: VE steps in t = sigma^2 and needs more) each process's solution converges to the same map noise -> x0
  // (up to the different sigma_max each starts from, which the mixture barely feels).
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor noise = Generator(3).normal_rows({200, 2}, 0);
  EDMOptions edm_range{.sigma_min = 0.002, .sigma_max = 80};
  const auto ref = sample_heun(gm, *make_edm(edm_range), karras_times(*make_edm(edm_range), 400), noise).x;
  for (auto& p : {make_ve({.sigma_min = 0.002, .sigma_max = 80}), make_flow({.t_min = 0.002 / 1.002, .t_max = 80.0 / 81.0})}) {
    INFO(p->name());
    const auto x = sample_heun(gm, *p, karras_times(*p, 400), noise).x;
    CHECK(max(abs(x - ref), {}).item() < 2e-3);
  }
}

TEST_CASE("Euler converges at first order, Heun at second", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const auto p = make_edm({.sigma_min = 0.05, .sigma_max = 5});
  const Tensor noise = Generator(4).normal_rows({64, 2}, 0);
  const Tensor ref = sample_heun(gm, *p, karras_times(*p, 1000), noise).x;
  auto err = [&](bool heun, int n) {
    const auto t = karras_times(*p, n);
    const Tensor x = heun ? sample_heun(gm, *p, t, noise).x : sample_euler(gm, *p, t, noise).x;
    return std::sqrt(mean(square(x - ref)).item());
  };
  // Slopes on log-log between N = 32 and 128 against a 1000-step Heun reference from the
  // same noise. (Both grids end with one Euler step from sigma_min = 0.05 to 0, whose size
  // does not change with N; it shifts all errors alike and leaves the slopes visible.)
  const double euler_slope = std::log(err(false, 128) / err(false, 32)) / std::log(4.0);
  const double heun_slope = std::log(err(true, 128) / err(true, 32)) / std::log(4.0);
  INFO("euler " << euler_slope << " heun " << heun_slope);
  CHECK(euler_slope < -0.7);
  CHECK(euler_slope > -1.4);
  CHECK(heun_slope < -1.6);
}

TEST_CASE("samples depend only on the seed and their index", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const auto p = make_edm();
  const Generator g = Generator(5).derive("noise");
  const Tensor all = sample_heun(gm, *p, karras_times(*p, 10), g.normal_rows({20, 2}, 0)).x;
  const Tensor part = sample_heun(gm, *p, karras_times(*p, 10), g.normal_rows({5, 2}, 10)).x;
  CHECK(max(abs(part - slice(all, 0, 10, 15)), {}).item() < 1e-6);
}
