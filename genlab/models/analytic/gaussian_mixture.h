// An exact reference model: a mixture of Gaussians in any dimension, with full or
// diagonal covariances. Its noised density, score and ideal denoiser are closed-form
// (docs/MATH.md section 5), so samplers and likelihoods can be measured against the truth
// with no training noise. It is a Denoiser like any trained network.
//
//   GaussianMixture gm = GaussianMixture::eight_gaussians();
//   Tensor exact = gm.sample(10000, rng);
//   Tensor d = gm.denoise(x, sigma);        // E[x0 | x0 + sigma eps = x]
#pragma once

#include "genlab/core/rng.h"
#include "genlab/samplers/denoiser.h"

namespace genlab {

class GaussianMixture : public Denoiser {
 public:
  // Diagonal covariances: weights [K] (normalized here), means [K, D], variances [K, D] > 0.
  GaussianMixture(const Tensor& weights, const Tensor& means, const Tensor& variances);
  // Full covariances [K, D, D], symmetric positive definite.
  static GaussianMixture with_covariances(const Tensor& weights, const Tensor& means,
                                          const Tensor& covariances);

  // Presets. 8 components on a circle of radius 1, standard deviation 0.1 (2-D).
  static GaussianMixture eight_gaussians();
  // 25 components on a 5 x 5 grid with spacing 0.5 over [-1, 1]^2, standard deviation 0.05.
  static GaussianMixture grid25();
  // `components` Gaussians in `dims` dimensions drawn from the seed: means N(0, I), full
  // covariances A A^T / dims + 0.05 I with A standard normal scaled by 0.5, weights
  // uniform in [0.5, 1.5] before normalizing. The presets: dims 16 and 64.
  static GaussianMixture random(int64_t dims, int64_t components, uint64_t seed);

  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  int64_t dims() const override { return means_.size(1); }
  int64_t components() const { return means_.size(0); }
  // grad_x log p(x; sigma) = (D(x; sigma) - x) / sigma^2, for sigma > 0.
  Tensor score(const Tensor& x, const Tensor& sigma) const;
  // log p(x; sigma) [batch] of the data convolved with N(0, sigma^2 I).
  Tensor log_density(const Tensor& x, const Tensor& sigma) const;
  Tensor sample(int64_t n, Generator& rng) const;
  // The data's standard deviation per dimension (root of the variance averaged over
  // dimensions), closed-form: a sigma_data.
  double data_std() const;

 private:
  GaussianMixture() = default;
  // Per component: x - mu_k in the component's eigenbasis, [B, K, D].
  Tensor to_eigenbasis(const Tensor& x) const;
  Tensor from_eigenbasis(const Tensor& y) const;  // [B, K, D] -> [B, K, D]
  // log w_k + log N(y; 0, diag(var)) per component, [B, K].
  Tensor log_terms(const Tensor& y, const Tensor& var) const;

  Tensor log_weights_;  // [K]
  Tensor means_;        // [K, D]
  Tensor eigenvalues_;  // [K, D] of each covariance
  Tensor rotations_;    // [K, D, D], columns the eigenvectors; undefined when diagonal
};

}  // namespace genlab
