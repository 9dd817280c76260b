#include "genlab/experiments/data/datasets.h"

#include <stdexcept>

#include "genlab/core/ops.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/experiments/data/mixture_data.h"
#include "genlab/experiments/data/toy_data.h"
#include "genlab/experiments/config/yaml_section.h"

namespace genlab {

Tensor Dataset::gather(const std::vector<int64_t>&, int64_t) const {
  throw std::logic_error("this data set is generated: it has no examples to gather");
}

template <class V>
void fields(V& v, ImageDataOptions& o) {
  v.field("path", o.path,
          "fashion_mnist: folder with the four IDX files (empty: Debian's "
          "/usr/share/datasets/fashion-mnist); hdf5: the file");
  if constexpr (V::reading)
    v.check(o.source != "hdf5" || !o.path.empty(), "path", "missing required key (the HDF5 file)");
  v.field("hdf5_dataset", o.hdf5_dataset,
          "hdf5: the dataset ([N, C, H, W], [N, H, W] or [N, D], in [0, 1] or 0..255); optional "
          "<name>_test, <name>_labels, <name>_test_labels",
          non_empty());
  v.field("binarize", o.binarize,
          "static (threshold once), dynamic (a fresh Bernoulli draw per epoch), or none: gray "
          "levels scaled to [-1, 1] for every set (diffusion)",
          one_of({"static", "dynamic", "none"}));
  v.field("threshold", o.threshold, "static binarization threshold", between(0, 1, "()"));
  v.field("held_out_binarize", o.held_out_binarize,
          "validation and test: threshold, or sample (one seeded Bernoulli draw, the dynamic protocol)",
          one_of({"threshold", "sample"}));
  v.field("validation", o.validation, "training examples moved to the validation set", at_least(0));
  v.field("test_limit", o.test_limit,
          "only the first n test images (after data.classes), for quick runs",
          at_least(0).with_note("0: the whole test set"));
  v.field("downsample", o.downsample, "28x28 -> 14x14 by 2x2 averaging");
  v.field("classes", o.classes,
          "only the examples of these classes (labels from 0), in the training, validation and "
          "test sets; e.g. [7] for one Fashion-MNIST class", at_least(0).or_auto("every class"));
  v.field("flip", o.flip, "training images mirrored left-right with probability 1/2 (fixed by seed, epoch, example)");
}

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

// Binary images (Fashion-MNIST or HDF5 user data), iterated in epochs by the runner
// through gather(); the binarization of an example is fixed by (seed, epoch, index)
// (ImageData::train_batch), the one path the runner and bench/ share.
class ImageDataset final : public Dataset {
 public:
  ImageDataset(ImageDataOptions o, uint64_t seed) {
    o.seed = seed;
    data_ = std::make_unique<ImageData>(load_image_data(o));
  }
  Tensor draw(int64_t n, Generator& rng) const override {
    const auto u = rng.uniform({n}).to_vector();
    std::vector<int64_t> idx(n);
    for (int64_t i = 0; i < n; ++i)
      idx[i] = std::min<int64_t>(size() - 1, static_cast<int64_t>(u[i] * size()));
    return gather(idx, 0);
  }
  int64_t dims() const override { return data_->dims(); }
  int64_t size() const override { return data_->train_size(); }
  Tensor gather(const std::vector<int64_t>& idx, int64_t epoch) const override {
    return data_->train_batch(idx, epoch);
  }
  Tensor validation() const override { return data_->validation_set(); }
  Tensor test() const override { return data_->test_set(); }
  int64_t channels() const override { return data_->channels(); }
  int64_t height() const override { return data_->height(); }
  int64_t width() const override { return data_->width(); }
  int64_t num_classes() const override { return data_->num_classes(); }
  Tensor labels(const std::vector<int64_t>& idx) const override { return data_->train_labels(idx); }
  Tensor validation_labels() const override { return data_->validation_labels(); }
  Tensor test_labels() const override { return data_->test_labels(); }
  Tensor dequantized_test(int64_t n, const Generator& noise) const override {
    return data_->dequantized_test(n, noise);
  }

 private:
  std::unique_ptr<ImageData> data_;
};

template <class D, class... Args>
std::unique_ptr<Dataset> make(Args&&... args) {
  return std::make_unique<D>(std::forward<Args>(args)...);
}

DatasetSpec images(const char* name, const char* doc) {
  ImageDataOptions o;
  o.source = name;
  return {name, doc, ChosenOptions::of(o), true,
          [](const DataConfig& c, uint64_t seed) {
            return make<ImageDataset>(c.options.as<ImageDataOptions>(), seed);
          },
          [](const ChosenOptions& options) {  // --smoke: held-out sets of a few hundred images
            const auto& o = options.as<ImageDataOptions>();
            std::vector<std::string> out;
            cap_override(out, "data.validation", o.validation, 500);
            cap_override(out, "data.test_limit", o.test_limit, 500, true);
            return out;
          }};
}

DatasetSpec preset(const char* name, const char* doc, GaussianMixture (*build)()) {
  return {name, doc, ChosenOptions(), false,
          [build](const DataConfig&, uint64_t) { return make<MixtureDataset>(build()); }};
}

// Every data set by name: the one place a new one is added.
std::vector<DatasetSpec> build_table() {
  std::vector<DatasetSpec> t;
  for (const auto& name : toy_2d_names())
    t.push_back({name, "2-D toy data (generated)", ChosenOptions(), false,
                 [name](const DataConfig&, uint64_t) { return make<ToyDataset>(name); }});
  t.push_back(preset("mixture/eight_gaussians", "exact 2-D mixture: 8 Gaussians on the unit circle",
                     GaussianMixture::eight_gaussians));
  t.push_back(preset("mixture/grid25", "exact 2-D mixture: 25 Gaussians on a 5 x 5 grid",
                     GaussianMixture::grid25));
  t.push_back({"mixture/random",
               "exact mixture with seeded random means and full covariances, any dimension",
               ChosenOptions::of(RandomMixtureOptions{}), false, [](const DataConfig& c, uint64_t) {
                 const auto& o = c.options.as<RandomMixtureOptions>();
                 return make<MixtureDataset>(GaussianMixture::random(o.dims, o.components, o.seed));
               }});
  t.push_back({"mixture", "your own exact mixture: weights, means, variances or covariances",
               ChosenOptions::of(MixtureOptions{}), false, [](const DataConfig& c, uint64_t) {
                 return make<MixtureDataset>(make_mixture(c.options.as<MixtureOptions>()));
               }});
  t.push_back(images("fashion_mnist", "Fashion-MNIST (Debian's dataset-fashion-mnist), binarized or in [-1, 1]"));
  t.push_back(images("hdf5", "your own images from an HDF5 file, binarized or in [-1, 1]"));
  return t;
}

}  // namespace

const std::vector<DatasetSpec>& dataset_specs() {
  static const std::vector<DatasetSpec> table = build_table();
  return table;
}

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : dataset_specs()) n.push_back(s.name);
    return n;
  }();
  return names;
}

const DatasetSpec& find_dataset(const std::string& name) {
  for (const auto& s : dataset_specs())
    if (s.name == name) return s;
  std::string allowed;
  for (const auto& n : dataset_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown data set '" + name + "' (allowed: " + allowed + ")");
}

bool is_continuous_image_data(const DataConfig& c) {
  return is_image_data(c.name) && c.options.as<ImageDataOptions>().binarize == "none";
}

bool is_image_data(const std::string& name) {
  for (const auto& s : dataset_specs())
    if (s.name == name) return s.images;
  return false;
}

std::unique_ptr<Dataset> make_dataset(const DataConfig& config, uint64_t seed) {
  return find_dataset(config.name).make(config, seed);
}

}  // namespace genlab
