// Image metrics of samples, in the features of a classifier genlab trained itself
// (genlab/models/classifier; there is no Inception network on this machine):
//   fd              Fréchet distance of the samples' features to the test set's (frechet.h)
//   class_accuracy  how often the classifier assigns a class-conditional sample its class
// and two reference rows computed the same way: the training set (the floor: what a
// perfect model's samples would score) and a Gaussian fitted to the training pixels
// (full covariance; a bad model).
//
// The classifier file (HDF5): /weights/<parameter> and root attributes `kind`
// ("genlab image classifier"), `image`, `channels`, `features`, `classes` (comma lists),
// `test_accuracy` and `config_yaml` (what trained it). configs/fmnist_classifier.yaml
// reproduces the committed genlab/models/classifier/fmnist_classifier.h5.
//
//   ImageMetrics m(load_image_classifier(path), test_images, test_labels);
//   auto row = m.score(samples, labels);          // {"fd", ...}, {"class_accuracy", ...}
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "genlab/core/rng.h"
#include "genlab/experiments/eval/metric_intervals.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/families/classifier_file.h"
#include "genlab/models/classifier/image_classifier.h"

namespace genlab {

class ImageMetrics {
 public:
  // test_images [n, C*H*W] in [-1, 1] (the FD's reference); test_labels int32 [n] or undefined.
  ImageMetrics(std::unique_ptr<ImageClassifier> classifier, const Tensor& test_images,
               const Tensor& test_labels);
  // samples [n, C*H*W]; labels int32 [n] (class-conditional samples) or undefined. With
  // bootstrap replicates, each metric's interval as <metric>_lo and <metric>_hi
  // (metric_intervals.h; FD's redraws are of the samples, the test set being fixed).
  std::map<std::string, double> score(const Tensor& samples, const Tensor& labels,
                                      const BootstrapOptions& boot = {.replicates = 0}) const;
  // The reference rows: n training images, and n draws of a Gaussian fitted to them.
  std::vector<SummaryRow> reference_rows(const Tensor& train_images, const Tensor& train_labels,
                                         int64_t n, Generator rng) const;
  Tensor features(const Tensor& x) const;  // in batches, no autograd
  const ImageClassifier& classifier() const { return *net_; }
  double test_accuracy() const { return test_accuracy_; }

 private:
  std::unique_ptr<ImageClassifier> net_;
  Tensor test_features_;
  double test_accuracy_ = 0;
};

// n draws of N(mean, covariance) fitted to x's rows (covariance + 1e-6 I, Cholesky).
Tensor fitted_gaussian_samples(const Tensor& x, int64_t n, Generator& rng);

}  // namespace genlab
