// Sample-set distances against known values: a shifted copy (sliced Wasserstein is the
// projected shift), identical and independent sets, and separated distributions.
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/core/rng.h"
#include "genlab/experiments/eval/metrics.h"

using namespace genlab;

TEST_CASE("sliced Wasserstein of a shifted copy is the RMS projected shift", "[metrics]") {
  const Tensor a = Generator(1).normal({3000, 4});
  CHECK(sliced_wasserstein(a, a) == 0.0);
  // Shifting by v moves every projection by v.u exactly: SW^2 = mean_u (v.u)^2, which is
  // |v|^2 / D in expectation over random directions (here 2000 of them).
  const Tensor v = Tensor::from_vector({0.6f, 0.0f, 0.0f, 0.8f}, {1, 4});
  CHECK(sliced_wasserstein(a, a + v, 2000) == Approx(1.0 / 2.0).epsilon(0.05));
  // Different sizes use quantiles; the same distribution gives a small distance.
  const Tensor b = Generator(2).normal({1500, 4});
  CHECK(sliced_wasserstein(a, b) < 0.08);
  CHECK_THROWS_WITH(sliced_wasserstein(a, Tensor::zeros({10, 3})),
                    Catch::Matchers::Contains("dimension"));
}

TEST_CASE("MMD and energy distance: ~0 for one distribution, positive for two", "[metrics]") {
  const Tensor a = Generator(3).normal({2000, 2}), b = Generator(4).normal({2000, 2});
  const Tensor c = Generator(5).normal({2000, 2}) + 1.0f;
  // Unbiased estimators: |value| for equal distributions is O(1/n).
  CHECK(std::abs(mmd_rbf(a, b)) < 5e-3);
  CHECK(mmd_rbf(a, c) > 0.1);
  CHECK(std::abs(energy_distance(a, b)) < 2e-2);
  // For N(0, I) vs N(m, I) in 2-D with |m| = sqrt(2) the energy distance is
  // 2 E|Z + m| - 2 E|Z| (Z ~ N(0, 2I)), with E|Z| = sqrt(pi) and E|Z + m| computed here
  // from the Rice distribution's mean: sqrt(pi) L_{1/2}(-|m|^2 / 4).
  const double nu2 = 2.0 / 4.0;  // |m|^2 / (2 * variance 2)
  const double l_half = std::exp(-nu2 / 2) * ((1 + nu2) * std::cyl_bessel_i(0.0, nu2 / 2) +
                                              nu2 * std::cyl_bessel_i(1.0, nu2 / 2));
  const double expected = 2 * std::sqrt(M_PI) * l_half - 2 * std::sqrt(M_PI);
    // (The estimate's standard deviation at n = 2000 is about 0.03.)
  CHECK(energy_distance(a, c) == Approx(expected).margin(0.08));
  // Fixed bandwidth: the kernel mean of two point masses at distance r is exp(-r^2 / 2h^2).
  const Tensor p = Tensor::from_vector({0, 0, 0, 0}, {2, 2}),
               q = Tensor::from_vector({1, 0, 1, 0}, {2, 2});
  CHECK(mmd_rbf(p, q, 1.0) == Approx(2.0 - 2.0 * std::exp(-0.5)));
}
