// An exact reference model: a mixture of Gaussians with diagonal covariances. Its
// noised density, score and ideal denoiser are closed-form (MATH.md section 5), so
// samplers can be measured against the truth with no training noise.
//
//   GaussianMixture gm = GaussianMixture::eight_gaussians();
//   Tensor exact = gm.sample(10000, rng);
//   Tensor d = gm.denoise(x, sigma);        // E[x0 | x0 + sigma eps = x]
#pragma once

#include "core/rng.h"
#include "samplers/denoiser.h"

namespace genlab {

class GaussianMixture : public Denoiser {
 public:
  // weights [K] (normalized here), means [K, D], variances [K, D] (diagonal).
  GaussianMixture(const Tensor& weights, const Tensor& means, const Tensor& variances);
  // 8 components on a circle of radius 1, standard deviation 0.1 (2-D).
  static GaussianMixture eight_gaussians();

  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  int64_t dims() const override { return means_.size(1); }
  // log p(x; sigma) [batch] of the data convolved with N(0, sigma^2 I).
  Tensor log_density(const Tensor& x, const Tensor& sigma) const;
  Tensor sample(int64_t n, Generator& rng) const;

 private:
  Tensor responsibilities_and_log_terms(const Tensor& x, const Tensor& var, Tensor* log_norm) const;
  Tensor log_weights_, means_, variances_;
};

}  // namespace genlab
