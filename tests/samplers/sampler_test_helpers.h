// Shared pieces of the sampler tests: a model broken on purpose (to show that a test's
// threshold rejects a wrong factor or sign) and the exact-sample noise floor.
#pragma once

#include <cmath>
#include <vector>

#include "genlab/core/ops.h"
#include "genlab/experiments/eval/metrics.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/samplers/denoiser.h"

namespace genlab::testing {

// D scaled by a wrong factor (0.9: a 10% error; -1: a wrong sign).
class ScaledDenoiser : public Denoiser {
 public:
  ScaledDenoiser(const Denoiser& inner, float factor) : inner_(inner), factor_(factor) {}
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override {
    return inner_.denoise(x, sigma) * factor_;
  }
  int64_t dims() const override { return inner_.dims(); }

 private:
  const Denoiser& inner_;
  float factor_;
};

// The covariance of sample rows x [n, dims] (normalized by n).
inline Tensor covariance(const Tensor& x) {
  const Tensor c = x - mean(x, {0}, true);
  return matmul(c, c, true, false) * (1.0f / static_cast<float>(x.size(0)));
}

// Least-squares slope of log(err) against log(N): the convergence order (negative).
inline double loglog_slope(const std::vector<int>& ns, const std::vector<double>& errs) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < ns.size(); ++i) mx += std::log(ns[i]), my += std::log(errs[i]);
  mx /= ns.size(), my /= ns.size();
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < ns.size(); ++i) {
    const double dx = std::log(ns[i]) - mx;
    sxy += dx * (std::log(errs[i]) - my), sxx += dx * dx;
  }
  return sxy / sxx;
}

// Mean sliced Wasserstein between `pairs` independent pairs of exact sample sets of size
// n: what a perfect sampler scores, up to the estimator's own noise.
inline double exact_floor(const GaussianMixture& gm, int64_t n, int pairs, uint64_t seed) {
  Generator rng(seed);
  double total = 0;
  for (int k = 0; k < pairs; ++k) total += sliced_wasserstein(gm.sample(n, rng), gm.sample(n, rng));
  return total / pairs;
}

}  // namespace genlab::testing
