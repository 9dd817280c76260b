#include "genlab/experiments/eval/frechet.h"

#include "genlab/core/eigen_dense.h"
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace genlab {
namespace {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// The symmetric square root of a symmetric positive semi-definite matrix.
Matrix sqrt_psd(const Matrix& a) {
  Eigen::SelfAdjointEigenSolver<Matrix> es(a);
  const Vector s = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * s.asDiagonal() * es.eigenvectors().transpose();
}

}  // namespace

double frechet_distance(const std::vector<double>& mu_a, const std::vector<double>& cov_a,
                        const std::vector<double>& mu_b, const std::vector<double>& cov_b) {
  const int64_t d = static_cast<int64_t>(mu_a.size());
  if (static_cast<int64_t>(mu_b.size()) != d || static_cast<int64_t>(cov_a.size()) != d * d ||
      static_cast<int64_t>(cov_b.size()) != d * d)
    throw std::invalid_argument("frechet distance: the two sets' features differ in dimension");
  const Eigen::Map<const Vector> ma(mu_a.data(), d), mb(mu_b.data(), d);
  const Eigen::Map<const Matrix> ca(cov_a.data(), d, d), cb(cov_b.data(), d, d);
  const Matrix root_a = sqrt_psd(ca);
  const Matrix middle = root_a * cb * root_a;
  Eigen::SelfAdjointEigenSolver<Matrix> es(0.5 * (middle + middle.transpose()),
                                           Eigen::EigenvaluesOnly);
  const double tr_sqrt = es.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return (ma - mb).squaredNorm() + ca.trace() + cb.trace() - 2.0 * tr_sqrt;
}

FeatureMoments feature_moments(const Tensor& rows, const std::vector<int32_t>& counts) {
  if (rows.dim() != 2 || rows.size(0) < 2)
    throw std::invalid_argument("frechet distance: features must be [n >= 2, d], got " +
                                shape_str(rows.shape()));
  const int64_t n = rows.size(0), d = rows.size(1);
  if (!counts.empty() && static_cast<int64_t>(counts.size()) != n)
    throw std::invalid_argument("frechet distance: " + std::to_string(counts.size()) + " counts for " +
                                std::to_string(n) + " rows");
  const auto v = rows.to_vector();
  Matrix x(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x(i, j) = v[i * d + j];
  Vector w = Vector::Ones(n);
  for (size_t i = 0; i < counts.size(); ++i) w(static_cast<int64_t>(i)) = counts[i];
  const double total = w.sum();
  const Vector m = x.transpose() * w / total;
  x.rowwise() -= m.transpose();
  const Matrix c = x.transpose() * w.asDiagonal() * x / (total - 1.0);
  FeatureMoments out;
  out.mean.assign(m.data(), m.data() + d);
  out.cov.resize(static_cast<size_t>(d * d));
  Eigen::Map<Matrix>(out.cov.data(), d, d) = c;  // symmetric: the layout does not matter
  return out;
}

double frechet_distance(const Tensor& a, const Tensor& b) {
  const FeatureMoments ma = feature_moments(a), mb = feature_moments(b);
  return frechet_distance(ma.mean, ma.cov, mb.mean, mb.cov);
}

}  // namespace genlab
