#include "genlab/experiments/data/image_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "genlab/experiments/data/idx.h"
#include "genlab/experiments/run/run_file.h"

namespace genlab {
namespace {

std::string find_file(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    const auto p = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(p)) return p.string();
  }
  throw std::runtime_error(dir + ": no " + stem +
                           "[.gz] (install Debian's dataset-fashion-mnist, or set data.path to "
                           "a folder with the four IDX files)");
}

// Images [N, H, W] from IDX and their labels, checked against each other.
IdxArray images_with_labels(const std::string& dir, const std::string& images,
                            const std::string& labels, std::vector<int32_t>& label_values) {
  IdxArray im = read_idx(find_file(dir, images));
  const IdxArray lb = read_idx(find_file(dir, labels));
  if (im.dims.size() != 3)
    throw std::runtime_error(dir + "/" + images + ": expected [N, H, W] images");
  if (lb.dims.size() != 1 || lb.dims[0] != im.dims[0])
    throw std::runtime_error(dir + ": " + images + " has " + std::to_string(im.dims[0]) +
                             " images but " + labels + " has " +
                             std::to_string(lb.dims.empty() ? 0 : lb.dims[0]) + " labels");
  label_values.assign(lb.data.begin(), lb.data.end());
  return im;
}

// Optional labels `name` of an HDF5 file: integers >= 0, one per example (n), or none.
std::vector<int32_t> read_hdf5_labels(const std::string& path, const std::string& name, int64_t n) {
  // Absent: no labels. Present but unreadable (a group, text): an error, not "unlabeled".
  if (!RunFile::open(path).exists(name)) return {};
  const Tensor t = read_hdf5_array(path, name);
  if (t.dim() != 1 || t.size(0) != n)
    throw std::invalid_argument(path + ": '" + name + "' must hold one label per example [" +
                                std::to_string(n) + "], got " + shape_str(t.shape()));
  std::vector<int32_t> out(static_cast<size_t>(n));
  const auto v = t.to_vector();
  for (int64_t i = 0; i < n; ++i) {
    if (!(v[i] >= 0 && v[i] < 1e6 && v[i] == std::floor(v[i])))
      throw std::invalid_argument(path + ": '" + name + "' holds " + std::to_string(v[i]) +
                                  " at index " + std::to_string(i) +
                                  "; labels must be integers from 0");
    out[i] = static_cast<int32_t>(v[i]);
  }
  return out;
}

std::vector<float> to_unit(const std::vector<uint8_t>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = v[i] / 255.0f;
  return out;
}

// [N, H, W] -> [N, H/2, W/2] by 2x2 averaging.
std::vector<float> downsample2(const std::vector<float>& v, int64_t n, int64_t h, int64_t w) {
  std::vector<float> out(n * (h / 2) * (w / 2));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < h / 2; ++y)
      for (int64_t x = 0; x < w / 2; ++x) {
        const float* p = &v[(i * h + 2 * y) * w + 2 * x];
        out[(i * (h / 2) + y) * (w / 2) + x] = 0.25f * (p[0] + p[1] + p[w] + p[w + 1]);
      }
  return out;
}

// Keeps the examples (rows of `dims` values) whose label is in `classes`, in their order.
void keep_classes(const std::vector<int64_t>& classes, int64_t dims, std::vector<float>& images,
                  std::vector<int32_t>& labels, int64_t& n, const std::string& set) {
  if (labels.empty())
    throw std::invalid_argument("data.classes: needs labelled data, and the " + set +
                                " set has no labels");
  std::vector<float> kept_images;
  std::vector<int32_t> kept_labels;
  for (int64_t i = 0; i < n; ++i)
    if (std::find(classes.begin(), classes.end(), labels[i]) != classes.end()) {
      kept_images.insert(kept_images.end(), images.begin() + i * dims, images.begin() + (i + 1) * dims);
      kept_labels.push_back(labels[i]);
    }
  for (const int64_t c : classes)
    if (std::find(kept_labels.begin(), kept_labels.end(), c) == kept_labels.end())
      throw std::invalid_argument("data.classes: class " + std::to_string(c) +
                                  " has no examples in the " + set + " set");
  images = std::move(kept_images);
  labels = std::move(kept_labels);
  n = static_cast<int64_t>(labels.size());
}

std::vector<float> read_hdf5(const std::string& path, const std::string& name,
                             std::vector<int64_t>& dims) {
  const Tensor t = read_hdf5_array(path, name, "data.hdf5_dataset");
  dims.assign(t.shape().begin(), t.shape().end());
  if (dims.size() < 2 || dims.size() > 4)
    throw std::runtime_error(path + ": '" + name + "' must be [N, D], [N, H, W] or [N, C, H, W]");
  std::vector<float> v = t.to_vector();
  // Gray levels in [0, 1], or 0..255 (then scaled); anything else is refused, naming the
  // first bad value: binarizing NaN or negative values would silently give zeros.
  float mx = 0.0f;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]) || v[i] < 0.0f || v[i] > 255.0f)
      throw std::invalid_argument(path + ": '" + name + "' holds " + std::to_string(v[i]) +
                               " at flat index " + std::to_string(i) +
                               "; image data must be gray levels in [0, 1] or 0..255");
    mx = std::max(mx, v[i]);
  }
  if (mx > 1.0f)  // 0..255 gray levels
    for (auto& x : v) x /= 255.0f;
  return v;
}

// Images as read, before down-sampling, class selection and the validation split.
struct RawImages {
  std::vector<float> train, test;
  std::vector<int32_t> train_labels, test_labels;
  int64_t n_train = 0, n_test = 0, channels = 1, height = 1, width = 1;
};

// Fashion-MNIST's four IDX files in `dir`, gray levels in [0, 1].
RawImages read_fashion_mnist(const std::string& dir) {
  RawImages r;
  const IdxArray tr = images_with_labels(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", r.train_labels);
  const IdxArray te = images_with_labels(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", r.test_labels);
  r.height = tr.dims[1], r.width = tr.dims[2];
  if (te.dims[1] != tr.dims[1] || te.dims[2] != tr.dims[2])
    throw std::runtime_error(dir + ": the test images are " + std::to_string(te.dims[1]) + "x" +
                             std::to_string(te.dims[2]) + ", the training images " + std::to_string(tr.dims[1]) +
                             "x" + std::to_string(tr.dims[2]));
  r.n_train = tr.dims[0], r.n_test = te.dims[0];
  r.train = to_unit(tr.data), r.test = to_unit(te.data);
  return r;
}

// A user's HDF5 file: data.hdf5_dataset, and optionally <name>_test, <name>_labels and
// <name>_test_labels beside it.
RawImages read_hdf5_images(const ImageDataOptions& o) {
  RawImages r;
  std::vector<int64_t> dims;
  r.train = read_hdf5(o.path, o.hdf5_dataset, dims);
  r.n_train = dims[0];
  r.channels = dims.size() == 4 ? dims[1] : 1;
  r.height = dims.size() >= 3 ? dims[dims.size() - 2] : 1;
  r.width = dims.back();
  std::vector<int64_t> test_dims;
  try {
    r.test = read_hdf5(o.path, o.hdf5_dataset + "_test", test_dims);
    r.n_test = test_dims[0];
  } catch (const std::runtime_error&) {  // no test set given: none
  }
  if (r.n_test && std::vector<int64_t>(test_dims.begin() + 1, test_dims.end()) !=
                      std::vector<int64_t>(dims.begin() + 1, dims.end()))
    throw std::invalid_argument(o.path + ": '" + o.hdf5_dataset + "_test' has examples of another shape than '" +
                                o.hdf5_dataset + "'");
  r.train_labels = read_hdf5_labels(o.path, o.hdf5_dataset + "_labels", r.n_train);
  if (r.n_test) r.test_labels = read_hdf5_labels(o.path, o.hdf5_dataset + "_test_labels", r.n_test);
  if (!r.train_labels.empty() && r.n_test && r.test_labels.empty())
    throw std::invalid_argument(o.path + ": '" + o.hdf5_dataset + "_labels' is given but '" + o.hdf5_dataset +
                                "_test_labels' is not; label both sets or neither");
  return r;
}

}  // namespace

ImageData load_image_data(const ImageDataOptions& o) {
  if (o.binarize != "static" && o.binarize != "dynamic" && o.binarize != "none")
    throw std::invalid_argument("image data: unknown binarize '" + o.binarize +
                                "' (allowed: static, dynamic, none)");
  if (o.held_out_binarize != "threshold" && o.held_out_binarize != "sample")
    throw std::invalid_argument("image data: unknown held_out_binarize '" + o.held_out_binarize +
                                "' (allowed: threshold, sample)");
  if (o.source != "fashion_mnist" && o.source != "hdf5")
    throw std::invalid_argument("image data: unknown source '" + o.source + "' (allowed: fashion_mnist, hdf5)");
  RawImages raw = o.source == "fashion_mnist" ? read_fashion_mnist(o.path.empty() ? kFashionMnistDir : o.path)
                                              : read_hdf5_images(o);
  ImageData d;
  d.o_ = o;
  std::vector<float>& train = raw.train;
  std::vector<float>& test = raw.test;
  std::vector<int32_t>& train_labels = raw.train_labels;
  std::vector<int32_t>& test_labels = raw.test_labels;
  int64_t& n_train = raw.n_train;
  int64_t& n_test = raw.n_test;
  d.channels_ = raw.channels, d.height_ = raw.height, d.width_ = raw.width;
  if (o.downsample) {
    if (d.height_ < 2) throw std::invalid_argument("image data: cannot down-sample 1-D data");
    if (d.height_ % 2 || d.width_ % 2)
      throw std::invalid_argument("image data: downsample needs an even height and width, not " +
                                  std::to_string(d.height_) + "x" + std::to_string(d.width_));
    train = downsample2(train, n_train * d.channels_, d.height_, d.width_);
    if (n_test) test = downsample2(test, n_test * d.channels_, d.height_, d.width_);
    d.height_ /= 2, d.width_ /= 2;
  }
  d.dims_ = d.channels_ * d.height_ * d.width_;
  for (const auto* labels : {&train_labels, &test_labels})
    for (const int32_t l : *labels) d.num_classes_ = std::max<int64_t>(d.num_classes_, l + 1);
  if (!o.classes.empty()) {
    keep_classes(o.classes, d.dims_, train, train_labels, n_train, "training");
    if (n_test) keep_classes(o.classes, d.dims_, test, test_labels, n_test, "test");
  }
  if (o.validation < 0 || o.validation >= n_train)
    throw std::invalid_argument("data.validation: must be in [0, " + std::to_string(n_train) + ") (" +
                                std::to_string(n_train) + " training examples" +
                                (o.classes.empty() ? "" : " in data.classes") + ")");
  // A seeded permutation: the last `validation` examples become the validation set.
  std::vector<int64_t> perm(n_train);
  std::iota(perm.begin(), perm.end(), 0);
  const auto keys = Generator(o.seed).derive("split").uniform({n_train}).to_vector();
  std::stable_sort(perm.begin(), perm.end(),
                   [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
  const int64_t n_fit = n_train - o.validation;
  for (int64_t i = 0; i < n_train; ++i) {
    auto& dst = i < n_fit ? d.train_ : d.validation_;
    dst.insert(dst.end(), train.begin() + perm[i] * d.dims_,
               train.begin() + (perm[i] + 1) * d.dims_);
    if (!train_labels.empty())
      (i < n_fit ? d.train_labels_ : d.validation_labels_).push_back(train_labels[perm[i]]);
  }
  if (o.test_limit > 0 && o.test_limit < n_test) {
    test.resize(static_cast<size_t>(o.test_limit * d.dims_));
    if (!test_labels.empty()) test_labels.resize(static_cast<size_t>(o.test_limit));
  }
  d.test_ = std::move(test);
  d.test_labels_ = std::move(test_labels);
  return d;
}

Tensor ImageData::gather(const std::vector<float>& source, const std::vector<int64_t>& indices,
                         const Generator* stream) const {
  const int64_t n = static_cast<int64_t>(indices.size());
  std::vector<float> out(n * dims_);
  for (int64_t r = 0; r < n; ++r) {
    const float* p = &source[indices[r] * dims_];
    float* q = &out[r * dims_];
    if (o_.binarize == "none") {
      // Gray levels for diffusion: [0, 1] -> [-1, 1], as score_sde and EDM scale images.
      for (int64_t j = 0; j < dims_; ++j) q[j] = 2.0f * p[j] - 1.0f;
    } else if (stream) {
      // Uniforms for example indices[r]: Phi(z) of its fixed normal row in this stream.
      const auto z = stream->normal_rows({1, dims_}, indices[r]).to_vector();
      for (int64_t j = 0; j < dims_; ++j)
        q[j] = 0.5f * std::erfc(-z[j] / std::sqrt(2.0f)) < p[j] ? 1.0f : 0.0f;
    } else {
      for (int64_t j = 0; j < dims_; ++j) q[j] = p[j] > o_.threshold ? 1.0f : 0.0f;
    }
  }
  return Tensor::from_vector(out, {n, dims_});
}

Tensor ImageData::held_out(const std::vector<float>& source, const char* which) const {
  std::vector<int64_t> idx(static_cast<size_t>(source.size() / dims_));
  std::iota(idx.begin(), idx.end(), 0);
  if (o_.held_out_binarize == "threshold" || o_.binarize == "none") return gather(source, idx, nullptr);
  const Generator stream = Generator(o_.seed).derive("held_out_binarize").derive(which);
  return gather(source, idx, &stream);
}

std::vector<int64_t> shuffled_indices(int64_t n, Generator& rng) {
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  const auto keys = rng.uniform({n}).to_vector();
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
  return perm;
}

Tensor ImageData::train_batch(const std::vector<int64_t>& indices, int64_t epoch) const {
  for (int64_t i : indices)
    if (i < 0 || i >= train_size())
      throw std::out_of_range("image data: train index " + std::to_string(i));
  Tensor batch;
  if (o_.binarize != "dynamic") {
    batch = gather(train_, indices, nullptr);
  } else {
    const Generator stream =
        Generator(o_.seed).derive("binarize").derive(static_cast<uint64_t>(epoch));
    batch = gather(train_, indices, &stream);
  }
  if (o_.flip) {
    // Mirrored or not by the sign of a normal fixed by (seed, epoch, example index).
    const Generator coin = Generator(o_.seed).derive("flip").derive(static_cast<uint64_t>(epoch));
    // Flipped on the host (the batch may live on a GPU): one copy each way.
    std::vector<float> host = batch.to_vector();
    float* b = host.data();
    for (size_t r = 0; r < indices.size(); ++r) {
      if (coin.normal_rows({1, 1}, indices[r], Device::cpu).item() >= 0.0f) continue;
      for (int64_t row = 0; row < channels_ * height_; ++row)
        std::reverse(b + r * dims_ + row * width_, b + r * dims_ + (row + 1) * width_);
    }
    batch = Tensor::from_vector_like(batch, host, batch.shape());
  }
  return batch;
}

namespace {
Tensor labels_tensor(const std::vector<int32_t>& labels) {
  if (labels.empty()) return Tensor();
  return Tensor::from_indices(labels, {static_cast<int64_t>(labels.size())});
}
}  // namespace

Tensor ImageData::train_labels(const std::vector<int64_t>& indices) const {
  if (train_labels_.empty()) return Tensor();
  std::vector<int32_t> out(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) out[i] = train_labels_.at(indices[i]);
  return Tensor::from_indices(out, {static_cast<int64_t>(out.size())});
}

Tensor ImageData::validation_labels() const { return labels_tensor(validation_labels_); }

Tensor ImageData::test_labels() const { return labels_tensor(test_labels_); }

Tensor ImageData::dequantized_test(int64_t n, const Generator& noise) const {
  if (o_.binarize != "none")
    throw std::invalid_argument("image data: dequantization needs gray levels (binarize: none)");
  n = std::min(n, test_size());
  // U = Phi(z) of the stream's fixed normal rows: image i's noise does not depend on n.
  const auto z = noise.normal_rows({n, dims_}, 0).to_vector();
  std::vector<float> out(static_cast<size_t>(n * dims_));
  for (int64_t i = 0; i < n * dims_; ++i) {
    const double u = std::min(0.5 * std::erfc(-z[i] / std::sqrt(2.0)), 1.0 - 1e-7);
    const double k = std::round(test_[i] * 255.0);  // the 8-bit level
    out[i] = static_cast<float>(2.0 * (k + u) / 256.0 - 1.0);
  }
  return Tensor::from_vector(out, {n, dims_});
}

Tensor ImageData::intensities(const std::vector<int64_t>& indices) const {
  std::vector<float> out;
  out.reserve(indices.size() * dims_);
  for (int64_t i : indices)
    out.insert(out.end(), train_.begin() + i * dims_, train_.begin() + (i + 1) * dims_);
  return Tensor::from_vector(out, {static_cast<int64_t>(indices.size()), dims_});
}

Tensor ImageData::validation_set() const { return held_out(validation_, "validation"); }

Tensor ImageData::test_set() const { return held_out(test_, "test"); }

}  // namespace genlab
