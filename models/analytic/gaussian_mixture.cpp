#include "models/analytic/gaussian_mixture.h"

#include <cmath>
#include <stdexcept>

#include "core/ops.h"

namespace genlab {

GaussianMixture::GaussianMixture(const Tensor& weights, const Tensor& means, const Tensor& variances)
    : means_(means), variances_(variances) {
  if (means.dim() != 2 || variances.shape() != means.shape() || weights.dim() != 1 ||
      weights.size(0) != means.size(0))
    throw std::invalid_argument("GaussianMixture: weights [K], means [K, D], variances [K, D]; got " +
                                shape_str(weights.shape()) + ", " + shape_str(means.shape()) + ", " +
                                shape_str(variances.shape()));
  log_weights_ = log(weights / sum(weights));
}

GaussianMixture GaussianMixture::eight_gaussians() {
  std::vector<float> mu;
  for (int k = 0; k < 8; ++k) {
    mu.push_back(static_cast<float>(std::cos(k * M_PI / 4)));
    mu.push_back(static_cast<float>(std::sin(k * M_PI / 4)));
  }
  return GaussianMixture(Tensor::ones({8}), Tensor::from_vector(mu, {8, 2}), Tensor::full({8, 2}, 0.01f));
}

// Per component k: log w_k + log N(x; mu_k, diag(var_k)), as [batch, K].
Tensor GaussianMixture::responsibilities_and_log_terms(const Tensor& x, const Tensor& var, Tensor* log_norm) const {
  const Tensor diff = unsqueeze(x, 1) - means_;  // [B, K, D]
  const Tensor log_terms =
      log_weights_ - sum(square(diff) / var + log(var * static_cast<float>(2 * M_PI)), {2}) * 0.5f;
  if (log_norm) *log_norm = logsumexp(log_terms, 1);
  return softmax(log_terms, 1);
}

Tensor GaussianMixture::denoise(const Tensor& x, const Tensor& sigma) const {
  const Tensor s2 = reshape(square(sigma), {-1, 1, 1});
  const Tensor var = variances_ + s2;  // [B, K, D]
  const Tensor r = responsibilities_and_log_terms(x, var, nullptr);
  // Posterior mean of each component: mu + S (S + sigma^2)^-1 (x - mu).
  const Tensor comp = means_ + variances_ / var * (unsqueeze(x, 1) - means_);
  return sum(unsqueeze(r, 2) * comp, {1});
}

Tensor GaussianMixture::log_density(const Tensor& x, const Tensor& sigma) const {
  Tensor log_norm;
  responsibilities_and_log_terms(x, variances_ + reshape(square(sigma), {-1, 1, 1}), &log_norm);
  return log_norm;
}

Tensor GaussianMixture::sample(int64_t n, Generator& rng) const {
  const Tensor k = rng.categorical(broadcast_to(exp(log_weights_), {n, log_weights_.size(0)}));
  const Tensor mu = index_select(means_, 0, k), var = index_select(variances_, 0, k);
  return mu + sqrt(var) * rng.normal({n, dims()});
}

}  // namespace genlab
