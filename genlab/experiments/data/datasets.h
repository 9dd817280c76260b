// Data sets by name, for training and as the reference of the sample metrics: the 2-D toy
// sets, exact Gaussian mixtures (presets, a seeded random one, or the user's own from
// YAML) and binary images (Fashion-MNIST, HDF5 user data). Each row of the table in
// datasets.cpp names a data set, its options struct (whose fields() are the `data:` keys
// beside `name`) and its factory: a new data set is one class and one row.
//
//   DataConfig d = ...;                          // read from `data:` (data_config.h)
//   auto data = make_dataset(d, seed);
//   Tensor batch = data->draw(512, rng);         // [512, data->dims()]
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "genlab/core/rng.h"
#include "genlab/experiments/data/data_config.h"
#include "genlab/models/analytic/gaussian_mixture.h"

namespace genlab {

// A training batch: examples [B, dims] and, for labeled data, their int32 labels [B].
struct Batch {
  Tensor x;
  Tensor labels{};  // undefined: unlabeled data
  // Data-parallel training: the rows of the global batch this rank's x is a share of;
  // 0: x is the whole batch.
  int64_t global_rows = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // n examples, uniformly with replacement (generated data: fresh draws).
  virtual Tensor draw(int64_t n, Generator& rng) const = 0;
  virtual int64_t dims() const = 0;
  // Finite data sets: the number of training examples, and the examples at these
  // indices (epochs iterate them in a permutation); 0 for generated data. Dynamic
  // binarization of an example is fixed by (seed, epoch, index).
  virtual int64_t size() const { return 0; }
  virtual Tensor gather(const std::vector<int64_t>& indices, int64_t epoch) const;
  // The exact distribution, when the data set is an analytic mixture.
  virtual const GaussianMixture* mixture() const { return nullptr; }
  // Held-out sets of a finite data set (images); undefined tensors for generated data.
  virtual Tensor validation() const { return Tensor(); }
  virtual Tensor test() const { return Tensor(); }
  // Image shape (1 x 1 x dims for vector data).
  virtual int64_t channels() const { return 1; }
  virtual int64_t height() const { return 1; }
  virtual int64_t width() const { return dims(); }

  // Labeled data: the number of classes (0: unlabeled), the int32 labels of training
  // examples at these indices, and of the held-out sets (undefined when unlabeled).
  virtual int64_t num_classes() const { return 0; }
  virtual Tensor labels(const std::vector<int64_t>& /*indices*/) const { return Tensor(); }
  virtual Tensor validation_labels() const { return Tensor(); }
  virtual Tensor test_labels() const { return Tensor(); }
  // Gray-level images: the first n test images uniformly dequantized (image_data.h);
  // undefined for other data.
  virtual Tensor dequantized_test(int64_t /*n*/, const Generator&) const { return Tensor(); }
};

struct DatasetSpec {
  std::string name, doc;
  ChosenOptions defaults;  // empty: no keys beside `name`
  bool images = false;  // binary images (the autoregressive and VAE families' data)
  // seed: the run's seed, from which the data set derives its named streams (split,
  // binarization, a random mixture's parameters).
  std::function<std::unique_ptr<Dataset>(const DataConfig&, uint64_t seed)> make;
  // `genlab run --smoke`: overrides of the data set's keys for the quick form (smaller
  // held-out sets; smoke.h); empty function: none.
  std::function<std::vector<std::string>(const ChosenOptions&)> smoke{};
};

const std::vector<DatasetSpec>& dataset_specs();
const std::vector<std::string>& dataset_names();
const DatasetSpec& find_dataset(const std::string& name);  // the error lists the names
std::unique_ptr<Dataset> make_dataset(const DataConfig& config, uint64_t seed);
// Whether data.name is image data (fashion_mnist, hdf5).
bool is_image_data(const std::string& name);
// Image data with binarize: none (gray levels in [-1, 1], for diffusion).
bool is_continuous_image_data(const DataConfig& config);

}  // namespace genlab
