// The IDX reader on good (raw and gzip), truncated, wrong-magic and mismatched files;
// Fashion-MNIST from Debian's package: split, down-sampling, static and dynamic
// binarization; user data from an HDF5 dataset.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "genlab/core/ops.h"
#include "genlab/experiments/data/idx.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/experiments/run/run_file.h"

using namespace genlab;
using Catch::Matchers::Contains;

namespace {

ImageDataOptions options(int64_t validation, const std::string& binarize = "static",
                         bool downsample = false) {
  ImageDataOptions o;
  o.validation = validation, o.binarize = binarize, o.downsample = downsample;
  return o;
}

std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_tests" / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, size_t data_bytes,
                               uint8_t first = 0) {
  // Sized up front (GCC 12 warns falsely on push_back here: stringop-overflow).
  std::vector<uint8_t> b(4 + 4 * dims.size() + data_bytes, 0);
  b[2] = 0x08, b[3] = static_cast<uint8_t>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    for (int k = 0; k < 4; ++k) b[4 + 4 * i + k] = static_cast<uint8_t>(dims[i] >> (24 - 8 * k));
  for (size_t i = 0; i < data_bytes; ++i)
    b[4 + 4 * dims.size() + i] = static_cast<uint8_t>(first + i);
  return b;
}

void write_raw(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

void write_gz(const std::string& path, const std::vector<uint8_t>& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, b.data(), static_cast<unsigned>(b.size()));
  gzclose(f);
}

}  // namespace

TEST_CASE("IDX reader: good raw and gzip files, truncated, wrong magic", "[data]") {
  const std::string dir = temp_dir("idx");
  write_raw(dir + "/good", idx_bytes({2, 3, 2}, 12, 5));
  write_gz(dir + "/good.gz", idx_bytes({2, 3, 2}, 12, 5));
  for (const char* name : {"/good", "/good.gz"}) {
    const IdxArray a = read_idx(dir + name);
    CHECK(a.dims == std::vector<int64_t>{2, 3, 2});
    REQUIRE(a.data.size() == 12);
    CHECK(a.data[0] == 5);
    CHECK(a.data[11] == 16);
  }
  write_raw(dir + "/short", idx_bytes({2, 3, 2}, 11));
  CHECK_THROWS_WITH(read_idx(dir + "/short"),
                    Contains("truncated") && Contains("claims 12 bytes of data"));
  // A header claiming 3 GB (or 2^80 bytes) of images fails as truncated, with no attempt
  // to allocate it first.
  write_raw(dir + "/huge", idx_bytes({60000, 224, 224}, 100));
  CHECK_THROWS_WITH(read_idx(dir + "/huge"), Contains("claims 3010560000 bytes"));
  write_raw(dir + "/overflow", idx_bytes({0x7fffffff, 0x7fffffff, 0x7fffffff}, 10));
  CHECK_THROWS_WITH(read_idx(dir + "/overflow"), Contains("overflow"));
  write_gz(dir + "/short.gz", idx_bytes({4}, 2));
  CHECK_THROWS_WITH(read_idx(dir + "/short.gz"), Contains("truncated"));
  // A float IDX file (element type 0x0D) is named by its code in hexadecimal.
  std::vector<uint8_t> floats = idx_bytes({2}, 8);
  floats[2] = 0x0D;
  write_raw(dir + "/floats", floats);
  CHECK_THROWS_WITH(read_idx(dir + "/floats"), Contains("IDX element type 0x0D is not supported"));
  auto bad = idx_bytes({3}, 3);
  bad[0] = 0x1f;
  write_raw(dir + "/magic", bad);
  CHECK_THROWS_WITH(read_idx(dir + "/magic"), Contains("wrong magic number"));
  CHECK_THROWS_WITH(read_idx(dir + "/missing"), Contains("cannot open"));
  // Image and label counts must agree.
  write_gz(dir + "/train-images-idx3-ubyte.gz", idx_bytes({3, 2, 2}, 12));
  write_gz(dir + "/train-labels-idx1-ubyte.gz", idx_bytes({2}, 2));
  write_gz(dir + "/t10k-images-idx3-ubyte.gz", idx_bytes({1, 2, 2}, 4));
  write_gz(dir + "/t10k-labels-idx1-ubyte.gz", idx_bytes({1}, 1));
  CHECK_THROWS_WITH(load_image_data({.path = dir, .validation = 1}),
                    Contains("has 3 images but") && Contains("2 labels"));
  // Test images of another size than the training images are refused.
  write_gz(dir + "/train-labels-idx1-ubyte.gz", idx_bytes({3}, 3));
  write_gz(dir + "/t10k-images-idx3-ubyte.gz", idx_bytes({1, 3, 3}, 9));
  CHECK_THROWS_WITH(load_image_data({.path = dir, .validation = 1}),
                    Contains("the test images are 3x3, the training images 2x2"));
}

TEST_CASE("Fashion-MNIST from Debian's package: split, down-sampling, binarization", "[data]") {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"))
    FAIL("dataset-fashion-mnist is not installed (.ci/setup installs it)");
  const ImageData d = load_image_data(options(10000));
  CHECK(d.dims() == 784);
  CHECK(d.train_size() == 50000);
  CHECK(d.validation_size() == 10000);
  CHECK(d.test_size() == 10000);
  const Tensor test = d.test_set();
  for (float v : slice(test, 0, 0, 10).to_vector()) CHECK((v == 0.0f || v == 1.0f));
  const double on = mean(test).item();
  CHECK(on > 0.2);
  CHECK(on < 0.6);
  // Static binarization is fixed; dynamic is a fresh draw per epoch, fixed per example.
  CHECK(max(abs(d.train_batch({0, 1}, 0) - d.train_batch({0, 1}, 5)), {}).item() == 0.0f);
  const ImageData dyn = load_image_data(options(10000, "dynamic"));
  const Tensor e0 = dyn.train_batch({7, 8, 9}, 0), e1 = dyn.train_batch({7, 8, 9}, 1);
  CHECK(max(abs(e0 - e1), {}).item() == 1.0f);
  CHECK(max(abs(slice(e0, 0, 1, 2) - dyn.train_batch({8}, 0)), {}).item() == 0.0f);
  // Down-sampling: 14 x 14.
  const ImageData small = load_image_data(options(5000, "static", true));
  CHECK(small.dims() == 196);
  CHECK(small.height() == 14);
}

TEST_CASE("data.classes keeps the examples of the chosen classes in every set", "[data]") {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"))
    FAIL("dataset-fashion-mnist is not installed (.ci/setup installs it)");
  ImageDataOptions o = options(1000);
  o.classes = {7, 2};
  const ImageData d = load_image_data(o);
  // Fashion-MNIST has 6,000 training and 1,000 test images per class.
  CHECK(d.train_size() + d.validation_size() == 12000);
  CHECK(d.validation_size() == 1000);
  CHECK(d.test_size() == 2000);
  CHECK(d.num_classes() == 10);  // the label range of the data, not of the selection
  std::vector<int64_t> all(d.train_size());
  std::iota(all.begin(), all.end(), 0);
  for (const Tensor& labels : {d.train_labels(all), d.validation_labels(), d.test_labels()}) {
    int sevens = 0, others = 0;
    for (const float l : labels.to_vector()) {
      others += l != 7.0f && l != 2.0f;
      sevens += l == 7.0f;
    }
    CHECK(others == 0);
    CHECK(sevens > 0);
  }
  // The kept images are the originals: the first test image of class 7 (a sneaker) is the
  // first one in the full test set whose label is 7.
  const ImageData full = load_image_data(options(1000));
  const auto full_labels = full.test_labels().to_vector();
  const auto kept_labels = d.test_labels().to_vector();
  const int64_t first_full = std::find(full_labels.begin(), full_labels.end(), 7.0f) - full_labels.begin();
  const int64_t first_kept = std::find(kept_labels.begin(), kept_labels.end(), 7.0f) - kept_labels.begin();
  CHECK(max(abs(slice(full.test_set(), 0, first_full, first_full + 1) -
                slice(d.test_set(), 0, first_kept, first_kept + 1)), {}).item() == 0.0f);
  o.classes = {11};
  CHECK_THROWS_WITH(load_image_data(o), Catch::Matchers::Contains("data.classes: class 11 has no examples"));
  o.classes = {3};
  o.validation = 6000;
  CHECK_THROWS_WITH(load_image_data(o), Catch::Matchers::Contains("data.validation: must be in [0, 6000)"));
}

TEST_CASE("held-out sets binarized once by sampling: binary, fixed, mean intensity preserved",
          "[data]") {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"))
    FAIL("dataset-fashion-mnist is not installed (.ci/setup installs it)");
  ImageDataOptions o = options(1000, "dynamic");
  o.held_out_binarize = "sample";
  const ImageData a = load_image_data(o), b = load_image_data(o);
  const Tensor test = a.test_set(), validation = a.validation_set();
  CHECK(max(abs(test - b.test_set()), {}).item() == 0.0f);  // the same draw every time
  for (float v : slice(test, 0, 0, 20).to_vector()) CHECK((v == 0.0f || v == 1.0f));
  const ImageData thresholded = load_image_data(options(1000, "dynamic"));
  CHECK(max(abs(test - thresholded.test_set()), {}).item() == 1.0f);
  // E[Bernoulli(p)] = p: the fraction of ones is the mean gray level (7.84M draws, so the
  // standard error is ~2e-4), which thresholding at 0.5 does not preserve.
  std::vector<int64_t> all(static_cast<size_t>(a.train_size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  const double gray = mean(a.intensities(all)).item();
  CHECK(std::abs(mean(test).item() - gray) < 0.01);
  CHECK(std::abs(mean(validation).item() - gray) < 0.01);
  o.held_out_binarize = "median";
  CHECK_THROWS_WITH(load_image_data(o), Catch::Contains("allowed: threshold, sample"));
}

TEST_CASE("user image data from an HDF5 dataset", "[data]") {
  const std::string path = temp_dir("h5") + "/user.h5";
  RunFile f = RunFile::create(path, {}, "");
  f.write_tensors("data", {{"images", Generator(1).uniform({30, 4, 4})}});
  const ImageData d = load_image_data(
      {.source = "hdf5", .path = path, .hdf5_dataset = "data/images", .validation = 10});
  CHECK(d.dims() == 16);
  CHECK(d.train_size() == 20);
  CHECK(d.validation_size() == 10);
  // A missing dataset: the key that named it and what the file holds instead.
  CHECK_THROWS_WITH(load_image_data({.source = "hdf5", .path = path, .hdf5_dataset = "nope"}),
                    Contains(path + ": no dataset 'nope' (data.hdf5_dataset); it holds data/images [30, 4, 4]"));
}
