// Image data: binary for the autoregressive and VAE families, gray levels scaled to
// [-1, 1] (binarize: none) for diffusion. Fashion-MNIST from Debian's
// dataset-fashion-mnist package (or any folder with the four IDX files), or user data
// from an HDF5 dataset; optional 2x down-sampling; static binarization (a threshold,
// fixed once) or dynamic binarization (a fresh seeded Bernoulli draw per epoch); a
// validation split taken from the training set. Labels come with the images (int32,
// Fashion-MNIST's ten classes, or an HDF5 `<dataset>_labels`); an optional horizontal
// flip of training images; test images dequantized for likelihoods (docs/MATH.md 6.8).
//
//   ImageData d = load_image_data({.source = "fashion_mnist"});
//   Tensor batch = d.train_batch(indices, epoch, rng);   // [B, 784] in {0, 1}
#pragma once

#include <string>
#include <vector>

#include "genlab/core/rng.h"

namespace genlab {

struct ImageDataOptions {
  std::string source = "fashion_mnist";  // fashion_mnist | hdf5
  std::string path;                      // fashion_mnist: folder (default: Debian's); hdf5: file
  // hdf5: dataset name ([N, C, H, W], [N, H, W] or [N, D]; values in [0, 1] or 0..255,
  // any float or integer type); `<name>_test` the test set, `<name>_labels` and
  // `<name>_test_labels` their class labels (integers from 0), all optional.
  std::string hdf5_dataset = "images";
  std::string binarize = "static";  // static | dynamic | none (gray levels in [-1, 1])
  double threshold = 0.5;           // static
  // Validation and test sets: "threshold" (as static), or "sample": one Bernoulli draw,
  // fixed by the seed (the protocol of dynamically binarized benchmarks, e.g. IWAE, VampPrior).
  std::string held_out_binarize = "threshold";
  int64_t validation = 10000;       // examples moved from train to validation
  int64_t test_limit = 0;           // only the first n test images (0: all; quick runs)
  bool downsample = false;          // 28x28 -> 14x14 by 2x2 averaging
  bool flip = false;                // training images mirrored left-right with probability 1/2
  // Only the examples of these classes, in every set (empty: all); needs labels. The
  // labels keep their values and num_classes() the data's full label range.
  std::vector<int64_t> classes{};
  uint64_t seed = 0;                // the split and dynamic binarization
};

// 0..n-1 in a random order drawn from rng (one epoch's order of training examples).
std::vector<int64_t> shuffled_indices(int64_t n, Generator& rng);

// Debian's install folder for Fashion-MNIST.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

class ImageData {
 public:
  int64_t dims() const { return dims_; }
  int64_t channels() const { return channels_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t train_size() const { return static_cast<int64_t>(train_.size() / dims_); }
  int64_t validation_size() const { return static_cast<int64_t>(validation_.size() / dims_); }
  int64_t test_size() const { return static_cast<int64_t>(test_.size() / dims_); }

  // Binary batches. Static: thresholded once. Dynamic: Bernoulli(intensity), drawn from a
  // stream fixed by (seed, epoch, example index), so an example's draw in an epoch does not
  // depend on the batch it is in.
  Tensor train_batch(const std::vector<int64_t>& indices, int64_t epoch) const;
  // Validation and test are binarized once (held_out_binarize), so their NLL is comparable
  // across epochs and runs.
  Tensor validation_set() const;
  // Gray levels in [0, 1] of training examples, [B, D] (for binarizing elsewhere).
  Tensor intensities(const std::vector<int64_t>& indices) const;
  Tensor test_set() const;

  // Classes: 0 without labels, else 1 + the largest label of any set.
  int64_t num_classes() const { return num_classes_; }
  // int32 labels [B] of training examples; of the validation and test sets. Undefined
  // tensors when the data has no labels.
  Tensor train_labels(const std::vector<int64_t>& indices) const;
  Tensor validation_labels() const;
  Tensor test_labels() const;
  // The first n test images (gray levels) uniformly dequantized as score_sde does:
  // the 8-bit level k of each pixel becomes u = (k + U) / 256, U ~ U[0, 1) from
  // `noise` (row = image index), scaled to x = 2u - 1. Needs binarize: none.
  Tensor dequantized_test(int64_t n, const Generator& noise) const;

  friend ImageData load_image_data(const ImageDataOptions& o);

 private:
  // Thresholded when stream is null, else Bernoulli(intensity) from the stream's row of
  // each example's index.
  Tensor gather(const std::vector<float>& source, const std::vector<int64_t>& indices,
                const Generator* stream) const;
  Tensor held_out(const std::vector<float>& source, const char* which) const;
  ImageDataOptions o_;
  int64_t dims_ = 0, channels_ = 1, height_ = 0, width_ = 0, num_classes_ = 0;
  std::vector<float> train_, validation_, test_;  // intensities in [0, 1]
  std::vector<int32_t> train_labels_, validation_labels_, test_labels_;  // empty: none
};

ImageData load_image_data(const ImageDataOptions& options);

}  // namespace genlab
