// Image diffusion's experiment side: labeled HDF5 images of any channel count, the
// horizontal flip, score_sde's dequantization; the Fréchet distance against its closed
// form; the committed classifier's accuracy; the conditional U-Net; config errors for
// guidance, labels and classes; and tiny versions of configs/edm_fmnist.yaml and
// flow_fmnist.yaml end to end (grids, labels, fd, class accuracy, reference rows,
// bits/dim).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "genlab/core/ops.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/experiments/eval/frechet.h"
#include "genlab/experiments/eval/image_metrics.h"
#include "genlab/experiments/cli/runner.h"
#include "genlab/models/diffusion/diffusion_model.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
using Catch::Matchers::Contains;
using genlab::testing::temp_path;

namespace {

// 30 two-channel 4x6 images: image i is filled with 10 * (i mod 7) (channel 1 with
// half that) except a bright left column, and labeled i mod 7; a test set of 9.
std::string labeled_hdf5(const std::string& name) {
  const std::string path = temp_path(name);
  auto images = [](int64_t n) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t y = 0; y < 4; ++y)
          for (int64_t x = 0; x < 6; ++x)
            v.push_back(x == 0 ? 255.0f : static_cast<float>(10 * (i % 7)) / (c + 1));
    return Tensor::from_vector(v, {n, 2, 4, 6});
  };
  auto labels = [](int64_t n) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<float>(i % 7));
    return Tensor::from_vector(v, {n});
  };
  RunFile f = RunFile::create(path, {}, "");
  f.write_tensors("d", {{"images", images(30)}, {"images_labels", labels(30)},
                        {"images_test", images(9)}, {"images_test_labels", labels(9)}});
  return path;
}

}  // namespace

TEST_CASE("HDF5 images [N, C, H, W] come with their labels through the split, flip and dequantization",
          "[image_diffusion][data]") {
  const std::string path = labeled_hdf5("labeled.h5");
  ImageDataOptions o{.source = "hdf5", .path = path, .hdf5_dataset = "d/images", .binarize = "none",
                     .validation = 5, .seed = 3};
  const ImageData d = load_image_data(o);
  CHECK(d.channels() == 2);
  CHECK(d.height() == 4);
  CHECK(d.width() == 6);
  CHECK(d.dims() == 48);
  CHECK(d.num_classes() == 7);
  std::vector<int64_t> idx(25);
  for (int64_t i = 0; i < 25; ++i) idx[i] = i;
  // Each example's label is its fill level: labels followed their images through the split.
  const auto x = d.train_batch(idx, 0).to_vector();
  const auto l = d.train_labels(idx).to_index_vector();
  for (int64_t i = 0; i < 25; ++i) {
    const float expected = 2.0f * (10.0f * l[i] / 255.0f) - 1.0f;
    REQUIRE(std::abs(x[i * 48 + 1] - expected) < 1e-5f);
    REQUIRE(x[i * 48] == 1.0f);  // the bright column on the left: not flipped
  }
  CHECK(d.test_labels().to_index_vector()[8] == 1);
  // Labels that are there but not an array of numbers are an error, not "unlabeled".
  const std::string bad = temp_path("bad_labels.h5");
  {
    RunFile f = RunFile::create(bad, {}, "");
    f.write_tensors("d", {{"images", Tensor::ones({4, 2, 2})}});
    f.write_tensors("d/images_labels", {{"oops", Tensor::ones({4})}});  // a group
  }
  CHECK_THROWS_WITH(load_image_data({.source = "hdf5", .path = bad, .hdf5_dataset = "d/images",
                                     .binarize = "none", .validation = 1}),
                    Contains(bad) && Contains("images_labels"));
  // Flip: a fixed half-ish of the examples mirrored (the bright column moves right), the
  // same on every call of an epoch, different across epochs.
  o.flip = true;
  const ImageData f = load_image_data(o);
  auto flipped = [&](int64_t epoch) {
    const auto v = f.train_batch(idx, epoch).to_vector();
    std::vector<bool> out;
    for (int64_t i = 0; i < 25; ++i) {
      REQUIRE((v[i * 48] == 1.0f) != (v[i * 48 + 5] == 1.0f));  // exactly one side bright
      out.push_back(v[i * 48 + 5] == 1.0f);
    }
    return out;
  };
  const auto e0 = flipped(0);
  CHECK(e0 == flipped(0));
  CHECK(e0 != flipped(1));
  const auto count = std::count(e0.begin(), e0.end(), true);
  CHECK(count >= 5);
  CHECK(count <= 20);
  // Dequantization: level k -> 2 (k + U) / 256 - 1 with U in [0, 1).
  const Tensor q = d.dequantized_test(9, Generator(4));
  const auto t = d.test_set().to_vector(), qv = q.to_vector();
  for (size_t i = 0; i < qv.size(); ++i) {
    const double k = std::round((t[i] + 1.0) / 2.0 * 255.0);
    REQUIRE(qv[i] >= 2.0 * k / 256.0 - 1.0 - 1e-6);
    REQUIRE(qv[i] < 2.0 * (k + 1.0) / 256.0 - 1.0 + 1e-6);
  }
  CHECK(max(abs(q - d.dequantized_test(9, Generator(4))), {}).item() == 0.0f);
  CHECK(max(abs(q - d.dequantized_test(9, Generator(5))), {}).item() > 0.0f);
}

TEST_CASE("Frechet distance matches its closed form and is rotation invariant", "[image_diffusion][metrics]") {
  // Diagonal covariances: FD = |mu_a - mu_b|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
  const std::vector<double> mu_a{1, 2, 3}, mu_b{0, 2, 5};
  const std::vector<double> ca{4, 0, 0, 0, 1, 0, 0, 0, 9}, cb{1, 0, 0, 0, 1, 0, 0, 0, 0.25};
  CHECK(frechet_distance(mu_a, ca, mu_b, cb) == Approx(1 + 4 + 1 + 0 + 6.25).epsilon(1e-12));
  // Non-commuting 2x2 covariances: tr sqrt(A B) from the eigenvalues of A B.
  const std::vector<double> a2{2, 1, 1, 2}, b2{1, 0, 0, 3}, z{0, 0};
  // A B = [[2, 3], [1, 6]]: eigenvalues 4 +- sqrt(7).
  const double tr_sqrt = std::sqrt(4 + std::sqrt(7.0)) + std::sqrt(4 - std::sqrt(7.0));
  CHECK(frechet_distance(z, a2, z, b2) == Approx(4 + 4 - 2 * tr_sqrt).epsilon(1e-10));
  // From samples: the same distribution scores near 0, a shifted one near |shift|^2.
  Generator rng(1);
  const Tensor x = rng.normal({4000, 3}), y = rng.normal({4000, 3});
  CHECK(frechet_distance(x, y) < 0.02);
  CHECK(frechet_distance(x, y + 1.0f) == Approx(3.0).margin(0.1));
  // Counted rows (a bootstrap redraw) have the moments of the rows repeated that often.
  const Tensor r = rng.normal({5, 2});
  const std::vector<int32_t> counts{0, 3, 1, 0, 2};
  const auto rv = r.to_vector();
  std::vector<float> repeated;
  for (size_t i = 0; i < counts.size(); ++i)
    for (int k = 0; k < counts[i]; ++k) repeated.insert(repeated.end(), rv.begin() + 2 * i, rv.begin() + 2 * i + 2);
  const FeatureMoments weighted = feature_moments(r, counts),
                       copies = feature_moments(Tensor::from_vector(repeated, {6, 2}));
  for (size_t i = 0; i < 2; ++i) CHECK(weighted.mean[i] == Approx(copies.mean[i]).epsilon(1e-12));
  for (size_t i = 0; i < 4; ++i) CHECK(weighted.cov[i] == Approx(copies.cov[i]).epsilon(1e-12));
  CHECK_THROWS_WITH(feature_moments(r, {1, 2}), Catch::Contains("2 counts for 5 rows"));
}

TEST_CASE("the committed Fashion-MNIST classifier is at least 90% accurate on the test set",
          "[image_diffusion][metrics]") {
  const auto net = load_image_classifier(default_image_classifier_path());
  CHECK(net->options().image == std::vector<int64_t>{1, 28, 28});
  CHECK(std::stod(RunFile::open(default_image_classifier_path()).attrs().at("test_accuracy")) >= 0.9);
  const auto data = make_dataset(
      parse_experiment_config("data: {name: fashion_mnist, binarize: none, validation: 0}\n", "c.yaml", {}).data, 0);
  const ImageMetrics m(load_image_classifier(default_image_classifier_path()), data->test(),
                       data->test_labels());
  CHECK(m.test_accuracy() >= 0.90);
  // Scores: the test set against itself is 0; a class-conditional "sample" that is the
  // test set with its labels has the test accuracy.
  const auto s = m.score(slice(data->test(), 0, 0, 2000), slice(data->test_labels(), 0, 0, 2000));
  CHECK(s.at("class_accuracy") >= 0.88);
  const std::string other = temp_path("not_a_classifier.h5");
  RunFile::create(other, {}, "");
  CHECK_THROWS_WITH(load_image_classifier(other), Contains(other) && Contains("not an image classifier"));
  CHECK_THROWS_WITH(load_image_classifier(temp_path("absent.h5")), Contains("no such classifier file"));
}

TEST_CASE("a conditional U-Net: labels change D, no labels is the null class, label dropout",
          "[image_diffusion][unet]") {
  Generator init(1);
  UNetOptions u{.image = {1, 8, 8}, .channels = 4, .channel_mult = {1, 2}, .attention_resolutions = {},
                .norm_groups = 2, .embedding = {.dim = 8}, .num_classes = 3};
  DiffusionModel m({.process = "edm"}, u, init);
  CHECK(m.num_classes() == 3);
  Generator rng(2);
  // Random weights everywhere (the last convolution starts at zero, hiding the labels).
  for (Tensor& w : m.parameters()) w.copy_(rng.normal(w.shape()) * 0.3f);
  const Tensor x = rng.normal({4, 64}), sigma = Tensor::full({4}, 1.0f);
  auto labels = [](std::vector<int32_t> l) { return Tensor::from_indices(l, {4}); };
  const Tensor d0 = m.denoise(x, sigma, labels({0, 0, 0, 0})), d1 = m.denoise(x, sigma, labels({1, 1, 1, 1}));
  CHECK(max(abs(d0 - d1), {}).item() > 1e-4f);
  CHECK(max(abs(m.denoise(x, sigma) - m.denoise(x, sigma, labels({3, 3, 3, 3}))), {}).item() == 0.0f);
  CHECK_THROWS_WITH(m.denoise(x, sigma, labels({0, 1, 4, 0})), Contains("index"));
  // Label dropout replaces about p of the labels by the null class, from the generator.
  std::vector<int32_t> many(10000, 1);
  Generator g(7);
  const auto dropped = drop_labels(Tensor::from_indices(many, {10000}), 0.1, 3, g).to_index_vector();
  const auto nulls = std::count(dropped.begin(), dropped.end(), 3);
  CHECK(nulls > 850);
  CHECK(nulls < 1150);
}

TEST_CASE("config: guidance and labels need a conditional model, classes the U-Net and labels",
          "[image_diffusion][config]") {
  const std::string uncond = "data: {name: moons}\nmodel: {family: diffusion}\nsamplers:\n  - {sampler: heun, guidance: 2}\n";
  CHECK_THROWS_WITH(parse_experiment_config(uncond, "g.yaml", {}),
                    Contains("g.yaml:4") && Contains("samplers[0].guidance") &&
                        Contains("unconditional"));
  const std::string images =
      "data: {name: fashion_mnist, binarize: none}\n"
      "model: {family: diffusion, classes: 10, net: {kind: unet}}\nsamplers:\n";
  CHECK_THROWS_WITH(parse_experiment_config(images + "  - {sampler: heun, labels: 10}\n", "l.yaml", {}),
                    Contains("samplers[0].labels") && Contains("0..9"));
  CHECK_THROWS_WITH(parse_experiment_config(images + "  - {sampler: heun, guidance_interval: [2, 1]}\n", "i.yaml", {}),
                    Contains("samplers[0].guidance_interval"));
  CHECK_NOTHROW(parse_experiment_config(images + "  - {sampler: heun, labels: 9, guidance: 3}\n", "ok.yaml", {}));
  CHECK_THROWS_WITH(parse_experiment_config("data: {name: fashion_mnist, binarize: none}\n"
                                            "model: {family: diffusion, classes: 10}\n", "m.yaml", {}),
                    Contains("model.classes") && Contains("unet"));
  // Data without labels: refused before any file is made.
  const std::string h5 = temp_path("unlabeled.h5");
  {
    RunFile f = RunFile::create(h5, {}, "");
    f.write_tensors("d", {{"images", Generator(1).uniform({20, 8, 8})}});
  }
  const std::string out = temp_path("unlabeled_run.h5");
  const auto c = parse_experiment_config(
      "data: {name: hdf5, path: " + h5 + ", hdf5_dataset: d/images, binarize: none, validation: 2}\n"
      "model: {family: diffusion, classes: 3, net: {kind: unet, channel_mult: [1, 2], norm_groups: 2, channels: 4}}\n",
      "u.yaml", {"output.path=" + out});
  std::ostringstream log;
  CHECK_THROWS_WITH(run_experiment(c, log), Contains("model.classes") && Contains("has no labels"));
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("tiny edm_fmnist and flow_fmnist end to end: guided variants, grids, image metrics, bits/dim",
          "[image_diffusion][runner]") {
  for (const std::string config : {"edm_fmnist", "flow_fmnist"}) {
    const std::string path = temp_path("tiny_" + config + ".h5");
    std::ostringstream log;
    const auto summary = run_experiment(
        load_experiment_config(std::string(GENLAB_SOURCE_DIR) + "/configs/" + config + ".yaml",
                               {"output.path=" + path, "train.steps=4", "train.batch_size=8",
                                "train.warmup_steps=2", "train.log_every=2", "train.checkpoint_every=2",
                                "model.net.channels=4", "model.net.channel_mult=[1, 2]",
                                "model.net.norm_groups=2", "model.net.embedding_dim=8",
                                "evaluate.samples=40", "evaluate.likelihood_samples=2",
                                "samplers=[{sampler: euler, steps: 2}, {name: g, sampler: euler, steps: 3, "
                                "guidance: 3, guidance_interval: [0.5, 10]}, {name: one, sampler: euler, "
                                "steps: 2, labels: 4}, {name: w0, sampler: euler, steps: 2, guidance: 0}]"}),
        log);
    INFO(log.str());
    REQUIRE(summary.status == "completed");
    const RunFile f = RunFile::open(path);
    CHECK(f.read_samples("euler-2").shape() == Shape{40, 1, 28, 28});
    CHECK(f.read_tensors("variants/g").at("labels").to_vector()[13] == 3.0f);  // 13 mod 10
    CHECK(f.read_tensors("variants/one").at("labels").to_vector()[13] == 4.0f);
    CHECK(f.exists("variants/euler-2/grid"));
    CHECK(f.group_attrs("variants/g").at("guidance_interval").find("0.5") == 0);
    std::map<std::string, SummaryRow> rows;
    for (const auto& r : f.read_summary()) rows[r.text.at("name")] = r;
    // NFE: euler takes its steps; guidance doubles those with sigma in [0.5, 10] (of
    // 80, 2.52 and 0.002, the middle one).
    CHECK(rows.at("euler-2").numbers.at("nfe") == 2);
    CHECK(rows.at("g").numbers.at("nfe") == 4);
    CHECK(rows.at("w0").numbers.at("nfe") == 2);
    for (const auto& [name, r] : rows) {
      CHECK(std::isfinite(r.numbers.at("fd")));
      CHECK(r.numbers.at("fd") > 0);
    }
    CHECK(rows.at("euler-2").numbers.at("class_accuracy") >= 0.0);
    CHECK(rows.at("euler-2").numbers.at("class_accuracy") <= 1.0);
    CHECK(std::isnan(rows.at("w0").numbers.at("class_accuracy")));  // unconditional samples
    // The reference rows: training images score far better than a pixel Gaussian.
    const auto reference = f.read_table("image_metrics/reference");
    REQUIRE(reference.size() == 2);
    CHECK(reference[0].numbers.at("fd") < 0.5 * reference[1].numbers.at("fd"));
    CHECK(reference[0].numbers.at("class_accuracy") > 0.8);
    CHECK_THAT(log.str(), Contains("reference: pixel gaussian"));
    // Bits/dim of dequantized test images: the continuous bits/dim plus the 8-bit offset
    // of 7 (docs/MATH.md 7).
    const auto lik = f.read_columns("likelihood");
    CHECK(std::isfinite(lik.at("bits_per_dim")[0]));
    CHECK(lik.at("bits_per_dim")[0] - lik.at("nll_nats")[0] / (784 * std::log(2.0)) ==
          Approx(7.0).margin(1e-4));
    CHECK(lik.at("examples")[0] == 2);
    // `genlab sample` adds a guided variant of one class to the finished run.
    std::ostringstream added_log;
    const SummaryRow added =
        add_variant(path, "euler", {"steps=3", "guidance=2", "guidance_interval=[0.5, 10]",
                                    "labels=7", "name=added"}, added_log);
    CHECK(added.numbers.at("nfe") == 4);
    CHECK(RunFile::open(path).read_tensors("variants/added").at("labels").to_vector()[0] == 7.0f);
    CHECK_THROWS_WITH(add_variant(path, "euler", {"labels=12"}, added_log), Contains("0..9"));
  }
}
