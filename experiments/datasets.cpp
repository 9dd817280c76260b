#include "experiments/datasets.h"

#include <functional>
#include <stdexcept>

#include "core/ops.h"
#include "experiments/data/image_data.h"
#include "experiments/toy_data.h"

namespace genlab {
namespace {

class ToyDataset final : public Dataset {
 public:
  explicit ToyDataset(std::string name) : name_(std::move(name)) {}
  Tensor draw(int64_t n, Generator& rng) const override { return toy_2d(name_, n, rng); }
  int64_t dims() const override { return 2; }

 private:
  std::string name_;
};

class MixtureDataset final : public Dataset {
 public:
  explicit MixtureDataset(GaussianMixture gm) : gm_(std::move(gm)) {}
  Tensor draw(int64_t n, Generator& rng) const override { return gm_.sample(n, rng); }
  int64_t dims() const override { return gm_.dims(); }
  const GaussianMixture* mixture() const override { return &gm_; }

 private:
  GaussianMixture gm_;
};

// Binary images (Fashion-MNIST or HDF5 user data). Training batches are drawn uniformly
// with replacement from the rng, binarized statically or by a fresh Bernoulli draw from
// the same rng, so the rng's state alone fixes the data stream (resume needs nothing else).
class ImageDataset final : public Dataset {
 public:
  explicit ImageDataset(const DataConfig& c) {
    ImageDataOptions o;
    o.source = c.name == "hdf5" ? "hdf5" : "fashion_mnist";
    o.path = c.path, o.hdf5_dataset = c.hdf5_dataset, o.binarize = c.binarize,
    o.threshold = c.threshold, o.held_out_binarize = c.held_out_binarize;
    o.validation = c.validation, o.downsample = c.downsample;
    data_ = std::make_unique<ImageData>(load_image_data(o));
    dynamic_ = c.binarize == "dynamic";
  }
  Tensor draw(int64_t n, Generator& rng) const override {
    const auto u = rng.uniform({n}).to_vector();
    std::vector<int64_t> idx(n);
    for (int64_t i = 0; i < n; ++i)
      idx[i] = std::min<int64_t>(data_->train_size() - 1,
                                 static_cast<int64_t>(u[i] * data_->train_size()));
    if (!dynamic_) return data_->train_batch(idx, 0);
    return gt(data_->intensities(idx), rng.uniform({n, data_->dims()}));  // Bernoulli(intensity)
  }
  int64_t dims() const override { return data_->dims(); }
  Tensor validation() const override { return data_->validation_set(); }
  Tensor test() const override { return data_->test_set(); }
  int64_t height() const override { return data_->height(); }
  int64_t width() const override { return data_->width(); }

 private:
  std::unique_ptr<ImageData> data_;
  bool dynamic_ = false;
};

using Factory = std::function<std::unique_ptr<Dataset>(const DataConfig&)>;

// Every data set by name: the one place a new one is added.
const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> t = [] {
    std::vector<std::pair<std::string, Factory>> v;
    for (const auto& name : toy_2d_names())
      v.emplace_back(name, [name](const DataConfig&) { return std::make_unique<ToyDataset>(name); });
    v.emplace_back("mixture/eight_gaussians", [](const DataConfig&) {
      return std::make_unique<MixtureDataset>(GaussianMixture::eight_gaussians());
    });
    v.emplace_back("mixture/grid25",
                   [](const DataConfig&) { return std::make_unique<MixtureDataset>(GaussianMixture::grid25()); });
    v.emplace_back("fashion_mnist", [](const DataConfig& c) { return std::make_unique<ImageDataset>(c); });
    v.emplace_back("hdf5", [](const DataConfig& c) { return std::make_unique<ImageDataset>(c); });
    return v;
  }();
  return t;
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, f] : table()) n.push_back(name);
    return n;
  }();
  return names;
}

std::unique_ptr<Dataset> make_dataset(const DataConfig& config) {
  const std::string& name = config.name;
  for (const auto& [n, factory] : table())
    if (n == name) return factory(config);
  std::string allowed;
  for (const auto& n : dataset_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown data set '" + name + "' (allowed: " + allowed + ")");
}

}  // namespace genlab
