// Likelihood through the probability-flow ODE against the exact log-density of the
// analytic mixture: exact trace within 1e-3 nats, Hutchinson within Monte Carlo error.
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/samplers/likelihood.h"

using namespace genlab;

TEST_CASE("PF-ODE likelihood with the exact trace equals the exact log-density", "[samplers]") {
  for (const auto& [gm, n] : {std::pair{GaussianMixture::eight_gaussians(), 64},
                              std::pair{GaussianMixture::random(16, 4, 3), 16}}) {
    Generator rng(31);
    const Tensor x0 = gm.sample(n, rng);
    LikelihoodOptions o;
    o.sigma_data = gm.data_std();
    // The prior N(0, (sigma_max^2 + sigma_data^2) I) ignores the data's mean m, an error
    // of about |m| / sigma_max nats; the random mixture's mean is ~1, hence 1e4.
    o.sigma_max = 1e4;
    o.ode = {.rtol = 1e-6, .atol = 1e-6};
    const auto r = pf_ode_likelihood(gm, x0, o);
    // The ODE starts at sigma_min: compare with the exact density there.
    const Tensor exact = -gm.log_density(x0, Tensor::full({n}, static_cast<float>(o.sigma_min)));
    INFO("dims " << gm.dims() << ", NFE " << r.nfe << ", max |diff| "
                 << max(abs(r.nll_nats - exact), {}).item());
    CHECK(max(abs(r.nll_nats - exact), {}).item() < 1e-3);
    CHECK(r.vjps == r.nfe * gm.dims());
    CHECK(max(abs(r.bits_per_dim - r.nll_nats / static_cast<float>(gm.dims() * std::log(2.0))), {})
              .item() < 1e-5);
  }
}

TEST_CASE("PF-ODE likelihood with Hutchinson's estimator is unbiased", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::random(16, 4, 5);
  Generator rng(32);
  const int64_t n = 128;
  const Tensor x0 = gm.sample(n, rng);
  const Tensor exact = -gm.log_density(x0, Tensor::full({n}, 1e-3f));
  for (const char* probe : {"rademacher", "gaussian"}) {
    LikelihoodOptions o;
    o.trace = "hutchinson";
    o.probe = probe;
    o.probes = 2;
    o.sigma_data = gm.data_std();
    o.sigma_max = 1e4;
    const auto r = pf_ode_likelihood(gm, x0, o, {Generator(33).derive("probes"), 0});
    // Per-point errors are Monte Carlo noise around 0: their mean is within 4 standard
    // errors of 0, and they are not all tiny (the estimator really is stochastic).
    const Tensor err = r.nll_nats - exact;
    const double m = mean(err).item(), sd = std::sqrt(mean(square(err - m)).item());
    INFO(probe << ": mean error " << m << ", sd " << sd);
    CHECK(std::abs(m) < 4 * sd / std::sqrt(static_cast<double>(n)));
    CHECK(sd > 1e-3);
    CHECK(r.vjps == 2 * r.nfe);
  }
}

TEST_CASE("likelihood options are validated", "[samplers]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor x = Tensor::zeros({2, 2});
  LikelihoodOptions o;
  o.trace = "approx";
  CHECK_THROWS_WITH(pf_ode_likelihood(gm, x, o), Catch::Matchers::Contains("exact, hutchinson"));
  o = {};
  o.probe = "sphere";
  o.trace = "hutchinson";
  CHECK_THROWS_WITH(pf_ode_likelihood(gm, x, o), Catch::Matchers::Contains("rademacher, gaussian"));
  o = {};
  o.sigma_min = 0;
  CHECK_THROWS(pf_ode_likelihood(gm, x, o));
}
