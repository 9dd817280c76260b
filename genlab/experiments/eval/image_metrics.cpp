#include "genlab/experiments/eval/image_metrics.h"

#include "genlab/core/eigen_dense.h"
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/experiments/eval/frechet.h"

namespace genlab {
namespace {

double accuracy(const Tensor& predicted, const Tensor& labels) {
  const auto p = predicted.to_index_vector(), l = labels.to_index_vector();
  int64_t hit = 0;
  for (size_t i = 0; i < p.size(); ++i) hit += p[i] == l[i];
  return p.empty() ? 0.0 : static_cast<double>(hit) / static_cast<double>(p.size());
}

}  // namespace


Tensor ImageMetrics::features(const Tensor& x) const {
  const NoGradGuard no_grad;
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < x.size(0); i += 500)
    parts.push_back(net_->features(slice(x, 0, i, std::min<int64_t>(x.size(0), i + 500))));
  return concat(parts, 0);
}

ImageMetrics::ImageMetrics(std::unique_ptr<ImageClassifier> classifier, const Tensor& test_images,
                           const Tensor& test_labels)
    : net_(std::move(classifier)) {
  const auto& image = net_->options().image;
  if (test_images.dim() != 2 || test_images.size(1) != image[0] * image[1] * image[2])
    throw std::invalid_argument("image metrics: the classifier takes " + shape_str(image) +
                                " images; the test set is " + shape_str(test_images.shape()));
  test_features_ = features(test_images);
  if (test_labels.defined()) test_accuracy_ = accuracy(net_->predict(test_images), test_labels);
}

namespace {

// FD of the samples' features redrawn by counts (the test set, a fixed reference, is not):
// the weighted mean and unbiased covariance of the redrawn rows against the test moments.
std::vector<double> frechet_replicates(const Tensor& features, const Tensor& test_features,
                                       const std::vector<RowCounts>& counts) {
  const FeatureMoments test = feature_moments(test_features);
  std::vector<double> out;
  for (const auto& c : counts) {
    const FeatureMoments redrawn = feature_moments(features, c);
    out.push_back(frechet_distance(redrawn.mean, redrawn.cov, test.mean, test.cov));
  }
  return out;
}

}  // namespace

std::map<std::string, double> ImageMetrics::score(const Tensor& samples, const Tensor& labels,
                                                  const BootstrapOptions& boot) const {
  const Tensor f = features(samples);
  std::map<std::string, double> out{{"fd", frechet_distance(f, test_features_)}};
  const int64_t n = samples.size(0);
  const bool intervals = boot.replicates >= 2 && n >= 2;
  if (intervals) {
    const Interval iv = interval_from_replicates(
        out["fd"], frechet_replicates(f, test_features_, bootstrap_counts(n, boot, 2)), boot.confidence);
    out["fd_lo"] = iv.lo, out["fd_hi"] = iv.hi;
  }
  if (!labels.defined()) return out;
  const auto p = net_->predict(samples).to_index_vector(), l = labels.to_index_vector();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) hits += p[i] == l[i];
  out["class_accuracy"] = static_cast<double>(hits) / static_cast<double>(n);
  if (intervals) {
    const Interval iv = row_statistic_interval(n, out["class_accuracy"], [&](const RowCounts& c) {
      double hits = 0;
      for (int64_t i = 0; i < n; ++i) hits += c[i] * (p[i] == l[i]);
      return hits / static_cast<double>(n);
    }, boot, 3);
    out["class_accuracy_lo"] = iv.lo, out["class_accuracy_hi"] = iv.hi;
  }
  return out;
}

std::vector<SummaryRow> ImageMetrics::reference_rows(const Tensor& train_images,
                                                     const Tensor& train_labels, int64_t n,
                                                     Generator rng) const {
  n = std::min(n, train_images.size(0));
  const Tensor train = slice(train_images, 0, 0, n);
  SummaryRow floor;
  floor.text = {{"name", "reference: training set"}, {"sampler", "data"}};
  floor.numbers = score(train, train_labels.defined() ? slice(train_labels, 0, 0, n) : Tensor());
  SummaryRow gaussian;
  gaussian.text = {{"name", "reference: pixel gaussian"}, {"sampler", "gaussian"}};
  gaussian.numbers = score(fitted_gaussian_samples(train, n, rng), Tensor());
  return {floor, gaussian};
}

Tensor fitted_gaussian_samples(const Tensor& x, int64_t n, Generator& rng) {
  using Matrix = Eigen::MatrixXd;
  const int64_t m = x.size(0), d = x.size(1);
  const auto v = x.to_vector();
  Matrix a(m, d);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < d; ++j) a(i, j) = v[i * d + j];
  const Eigen::VectorXd mu = a.colwise().mean();
  a.rowwise() -= mu.transpose();
  Matrix cov = a.transpose() * a / static_cast<double>(std::max<int64_t>(m - 1, 1));
  cov.diagonal().array() += 1e-6;
  const Matrix l = cov.llt().matrixL();
  const auto z = rng.normal({n, d}).to_vector();
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> zm(z.data(), n, d);
  const Matrix y = (zm.cast<double>() * l.transpose()).rowwise() + mu.transpose();
  std::vector<float> out(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) out[i * d + j] = static_cast<float>(y(i, j));
  return Tensor::from_vector(out, {n, d});
}

}  // namespace genlab
