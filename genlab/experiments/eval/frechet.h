// The Fréchet distance between Gaussians fitted to two sets of feature vectors (FID's
// formula, Heusel et al. 2017, in a classifier's features instead of Inception's):
//   FD = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)),
// with sample means and unbiased covariances, computed in double. tr (S_a S_b)^(1/2) is
// the sum of the square roots of the eigenvalues of S_a^(1/2) S_b S_a^(1/2), which is
// symmetric positive semi-definite (negative round-off eigenvalues count as 0).
//
//   double fd = frechet_distance(features(samples), features(test_images));
#pragma once

#include <cstdint>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

// a [n, d], b [m, d] with n, m >= 2.
double frechet_distance(const Tensor& a, const Tensor& b);

// The fitted Gaussian of feature rows [n, d]: mean [d] and unbiased covariance [d, d]
// (row-major), in double. `counts`, when given (one per row), weighs each row as that
// many copies of it: a bootstrap redraw's moments without copying rows.
struct FeatureMoments {
  std::vector<double> mean, cov;
};
FeatureMoments feature_moments(const Tensor& rows, const std::vector<int32_t>& counts = {});

// The same from the fitted moments (means [d], covariances [d, d], row-major, double).
double frechet_distance(const std::vector<double>& mu_a, const std::vector<double>& cov_a,
                        const std::vector<double>& mu_b, const std::vector<double>& cov_b);

}  // namespace genlab
