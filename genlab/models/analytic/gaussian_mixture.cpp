#include "genlab/models/analytic/gaussian_mixture.h"

#include "genlab/core/eigen_dense.h"
#include <cmath>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {
namespace {

void check_weights_means(const Tensor& weights, const Tensor& means) {
  if (means.dim() != 2 || weights.dim() != 1 || weights.size(0) != means.size(0))
    throw std::invalid_argument("GaussianMixture: weights [K], means [K, D]; got " +
                                shape_str(weights.shape()) + ", " + shape_str(means.shape()));
  for (float w : weights.to_vector())
    if (!(w >= 0)) throw std::invalid_argument("GaussianMixture: weights must be >= 0");
}

}  // namespace

GaussianMixture::GaussianMixture(const Tensor& weights, const Tensor& means,
                                 const Tensor& variances) {
  check_weights_means(weights, means);
  if (variances.shape() != means.shape())
    throw std::invalid_argument("GaussianMixture: variances must be [K, D] like the means; got " +
                                shape_str(variances.shape()));
  for (float v : variances.to_vector())
    if (!(v > 0)) throw std::invalid_argument("GaussianMixture: variances must be > 0");
  log_weights_ = log(weights / sum(weights));
  means_ = means;
  eigenvalues_ = variances;
}

GaussianMixture GaussianMixture::with_covariances(const Tensor& weights, const Tensor& means,
                                                  const Tensor& covariances) {
  check_weights_means(weights, means);
  const int64_t k = means.size(0), d = means.size(1);
  if (covariances.shape() != Shape{k, d, d})
    throw std::invalid_argument("GaussianMixture: covariances must be [K, D, D]; got " +
                                shape_str(covariances.shape()));
  const auto c = covariances.to_vector();
  std::vector<float> eig(k * d), rot(k * d * d);
  for (int64_t j = 0; j < k; ++j) {
    Eigen::MatrixXd s(d, d);
    for (int64_t r = 0; r < d; ++r)
      for (int64_t q = 0; q < d; ++q) s(r, q) = c[(j * d + r) * d + q];
    if ((s - s.transpose()).cwiseAbs().maxCoeff() > 1e-5 * (1 + s.cwiseAbs().maxCoeff()))
      throw std::invalid_argument("GaussianMixture: covariance " + std::to_string(j) +
                                  " is not symmetric");
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(0.5 * (s + s.transpose()));
    if (!(es.eigenvalues().minCoeff() > 0))
      throw std::invalid_argument("GaussianMixture: covariance " + std::to_string(j) +
                                  " is not positive definite");
    for (int64_t r = 0; r < d; ++r) {
      eig[j * d + r] = static_cast<float>(es.eigenvalues()(r));
      for (int64_t q = 0; q < d; ++q)
        rot[(j * d + r) * d + q] = static_cast<float>(es.eigenvectors()(r, q));
    }
  }
  GaussianMixture gm;
  gm.log_weights_ = log(weights / sum(weights));
  gm.means_ = means;
  gm.eigenvalues_ = Tensor::from_vector(eig, {k, d});
  gm.rotations_ = Tensor::from_vector(rot, {k, d, d});
  return gm;
}

GaussianMixture GaussianMixture::eight_gaussians() {
  std::vector<float> mu;
  for (int k = 0; k < 8; ++k) {
    mu.push_back(static_cast<float>(std::cos(k * M_PI / 4)));
    mu.push_back(static_cast<float>(std::sin(k * M_PI / 4)));
  }
  return GaussianMixture(Tensor::ones({8}), Tensor::from_vector(mu, {8, 2}),
                         Tensor::full({8, 2}, 0.01f));
}

GaussianMixture GaussianMixture::grid25() {
  std::vector<float> mu;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      mu.push_back(-1.0f + 0.5f * i);
      mu.push_back(-1.0f + 0.5f * j);
    }
  return GaussianMixture(Tensor::ones({25}), Tensor::from_vector(mu, {25, 2}),
                         Tensor::full({25, 2}, 0.05f * 0.05f));
}

GaussianMixture GaussianMixture::random(int64_t dims, int64_t components, uint64_t seed) {
  if (dims < 1 || components < 1)
    throw std::invalid_argument("GaussianMixture::random: dims and components must be >= 1");
  Generator rng = Generator(seed).derive("gaussian_mixture");
  const Tensor weights = rng.uniform({components}, 0.5f, 1.5f);
  const Tensor means = rng.normal({components, dims});
  const Tensor a = rng.normal({components, dims, dims}) * 0.5f;
  const Tensor eye = reshape(one_hot(Tensor::arange_indices(dims), dims), {1, dims, dims});
  const Tensor cov = matmul(a, a, false, true) * (1.0f / dims) + eye * 0.05f;
  return with_covariances(weights, means, cov);
}

Tensor GaussianMixture::to_eigenbasis(const Tensor& x) const {
  const Tensor diff = unsqueeze(x, 1) - means_;  // [B, K, D]
  if (!rotations_.defined()) return diff;
  // [K, B, D] @ U_k: coordinates along each component's eigenvectors.
  return permute(matmul(permute(diff, {1, 0, 2}), rotations_), {1, 0, 2});
}

Tensor GaussianMixture::from_eigenbasis(const Tensor& y) const {
  if (!rotations_.defined()) return y;
  return permute(matmul(permute(y, {1, 0, 2}), rotations_, false, true), {1, 0, 2});
}

Tensor GaussianMixture::log_terms(const Tensor& y, const Tensor& var) const {
  return log_weights_ - sum(square(y) / var + log(var * static_cast<float>(2 * M_PI)), {2}) * 0.5f;
}

Tensor GaussianMixture::denoise(const Tensor& x, const Tensor& sigma) const {
  const Tensor var = eigenvalues_ + reshape(square(sigma), {-1, 1, 1});  // [B, K, D]
  const Tensor y = to_eigenbasis(x);
  const Tensor r = softmax(log_terms(y, var), 1);  // responsibilities [B, K]
  // Each component's posterior mean: mu + S (S + sigma^2 I)^-1 (x - mu), in its eigenbasis.
  const Tensor comp = means_ + from_eigenbasis(eigenvalues_ / var * y);
  return sum(unsqueeze(r, 2) * comp, {1});
}

Tensor GaussianMixture::score(const Tensor& x, const Tensor& sigma) const {
  return (denoise(x, sigma) - x) / reshape(square(sigma), {-1, 1});
}

Tensor GaussianMixture::log_density(const Tensor& x, const Tensor& sigma) const {
  const Tensor var = eigenvalues_ + reshape(square(sigma), {-1, 1, 1});
  return logsumexp(log_terms(to_eigenbasis(x), var), 1);
}

Tensor GaussianMixture::sample(int64_t n, Generator& rng) const {
  const Tensor k = rng.categorical(broadcast_to(exp(log_weights_), {n, log_weights_.size(0)}));
  const Tensor z = sqrt(index_select(eigenvalues_, 0, k)) * rng.normal({n, dims()});
  const Tensor mu = index_select(means_, 0, k);
  if (!rotations_.defined()) return mu + z;
  // U_k z per sample: [n, 1, D] @ U_k^T.
  const Tensor u = index_select(rotations_, 0, k);
  return mu + reshape(matmul(unsqueeze(z, 1), u, false, true), {n, dims()});
}

double GaussianMixture::data_std() const {
  // Per-dimension variance averaged over dimensions, exactly:
  // (sum_k w_k (tr S_k + |mu_k|^2) - |sum_k w_k mu_k|^2) / D, with tr S_k the eigenvalue sum.
  const Tensor w = reshape(exp(log_weights_), {-1, 1});
  const Tensor second = sum(w * (eigenvalues_ + square(means_)));
  const Tensor mean_sq = sum(square(sum(w * means_, {0})));
  return std::sqrt((second - mean_sq).item() / static_cast<double>(dims()));
}

}  // namespace genlab
