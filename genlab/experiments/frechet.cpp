#include "genlab/experiments/frechet.h"

#include "genlab/core/eigen_dense.h"
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace genlab {
namespace {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

void moments(const Tensor& t, std::vector<double>& mu, std::vector<double>& cov) {
  if (t.dim() != 2 || t.size(0) < 2)
    throw std::invalid_argument("frechet distance: features must be [n >= 2, d], got " +
                                shape_str(t.shape()));
  const int64_t n = t.size(0), d = t.size(1);
  const auto v = t.to_vector();
  Matrix x(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x(i, j) = v[i * d + j];
  const Vector m = x.colwise().mean();
  x.rowwise() -= m.transpose();
  const Matrix c = (x.transpose() * x) / static_cast<double>(n - 1);
  mu.assign(m.data(), m.data() + d);
  cov.resize(static_cast<size_t>(d * d));
  Eigen::Map<Matrix>(cov.data(), d, d) = c;  // symmetric: the layout does not matter
}

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

double frechet_distance(const Tensor& a, const Tensor& b) {
  std::vector<double> ma, ca, mb, cb;
  moments(a, ma, ca);
  moments(b, mb, cb);
  return frechet_distance(ma, ca, mb, cb);
}

}  // namespace genlab
