#include "genlab/experiments/data/mixture_data.h"

#include "genlab/core/eigen_dense.h"
#include <cmath>
#include <string>

namespace genlab {

std::string mixture_problem(const MixtureOptions& o) {
  const size_t k = o.weights.size();
  if (k == 0) return "weights: missing (a list of K >= 1 weights)";
  double total = 0;
  for (size_t i = 0; i < k; ++i) {
    if (!(o.weights[i] >= 0))
      return "weights: weight " + std::to_string(i) + " is negative (" +
             std::to_string(o.weights[i]) + ")";
    total += o.weights[i];
  }
  if (std::abs(total - 1.0) > 1e-6)
    return "weights: must sum to 1 (within 1e-6), they sum to " + std::to_string(total);
  if (o.means.size() != k)
    return "means: needs one mean per weight (" + std::to_string(k) + "), got " +
           std::to_string(o.means.size());
  const size_t d = o.means[0].size();
  if (d == 0) return "means: a mean needs at least one dimension";
  for (size_t i = 0; i < k; ++i)
    if (o.means[i].size() != d)
      return "means: mean " + std::to_string(i) + " has " + std::to_string(o.means[i].size()) +
             " dimensions, mean 0 has " + std::to_string(d);
  const bool diag = !o.variances.empty(), full = !o.covariances.empty();
  if (diag == full) return "variances: give either variances (diagonal) or covariances (full)";
  if (diag) {
    if (o.variances.size() != k)
      return "variances: needs one row per component (" + std::to_string(k) + "), got " +
             std::to_string(o.variances.size());
    for (size_t i = 0; i < k; ++i) {
      if (o.variances[i].size() != d)
        return "variances: row " + std::to_string(i) + " has " +
               std::to_string(o.variances[i].size()) + " entries, the means have " +
               std::to_string(d) + " dimensions";
      for (double v : o.variances[i])
        if (!(v > 0)) return "variances: row " + std::to_string(i) + " has a variance <= 0";
    }
    return "";
  }
  if (o.covariances.size() != k)
    return "covariances: needs one matrix per component (" + std::to_string(k) + "), got " +
           std::to_string(o.covariances.size());
  for (size_t i = 0; i < k; ++i) {
    const auto& c = o.covariances[i];
    const std::string which = "covariances: component " + std::to_string(i);
    if (c.size() != d) return which + " is not " + std::to_string(d) + " x " + std::to_string(d);
    Eigen::MatrixXd m(d, d);
    for (size_t r = 0; r < d; ++r) {
      if (c[r].size() != d) return which + " is not " + std::to_string(d) + " x " + std::to_string(d);
      for (size_t j = 0; j < d; ++j) m(r, j) = c[r][j];
    }
    const double scale = m.cwiseAbs().maxCoeff();
    if ((m - m.transpose()).cwiseAbs().maxCoeff() > 1e-9 * std::max(1.0, scale))
      return which + " is not symmetric";
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
    const double smallest = eig.eigenvalues().minCoeff();
    if (!(smallest > 1e-12 * std::max(1.0, scale)))
      return which + " is not positive definite (smallest eigenvalue " + std::to_string(smallest) +
             ")";
  }
  return "";
}

GaussianMixture make_mixture(const MixtureOptions& o) {
  const std::string problem = mixture_problem(o);
  if (!problem.empty()) throw std::invalid_argument("mixture: " + problem);
  const int64_t k = static_cast<int64_t>(o.weights.size()),
                d = static_cast<int64_t>(o.means[0].size());
  std::vector<float> w(o.weights.begin(), o.weights.end()), mu;
  for (const auto& m : o.means) mu.insert(mu.end(), m.begin(), m.end());
  const Tensor weights = Tensor::from_vector(w, {k}), means = Tensor::from_vector(mu, {k, d});
  std::vector<float> cov;
  if (!o.variances.empty()) {
    for (const auto& row : o.variances) cov.insert(cov.end(), row.begin(), row.end());
    return GaussianMixture(weights, means, Tensor::from_vector(cov, {k, d}));
  }
  for (const auto& c : o.covariances)
    for (const auto& row : c) cov.insert(cov.end(), row.begin(), row.end());
  return GaussianMixture::with_covariances(weights, means, Tensor::from_vector(cov, {k, d, d}));
}

}  // namespace genlab
