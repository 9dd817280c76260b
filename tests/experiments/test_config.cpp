// The YAML config: defaults, overrides, the resolved round trip, and one malformed config
// per error class, each with the file, line:column and key path in its message.
#include <catch2/catch.hpp>

#include <algorithm>

#include <filesystem>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/core/ops.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/experiments/families/analytic_family.h"
#include "genlab/experiments/families/autoregressive_family.h"
#include "genlab/experiments/families/diffusion_family.h"
#include "genlab/experiments/families/vae_family.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/experiments/temp_paths.h"
#include "genlab/experiments/cli/sweep.h"

using namespace genlab;
using Catch::Matchers::Contains;

namespace {

const char* kGood = R"(name: tiny
seed: 3
data:
  name: moons
model:
  family: diffusion
  process: flow
  net: {width: 32, depth: 2}
train:
  steps: 50
samplers:
  - {sampler: heun, steps: 10}
  - {name: churn, sampler: edm_stochastic, steps: 20, options: {S_churn: 10}}
)";

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_experiment_config(yaml, "bad.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("config: defaults, values and overrides", "[config]") {
  const ExperimentConfig c = parse_experiment_config(kGood, "good.yaml");
  CHECK(c.name == "tiny");
  CHECK(c.seed == 3);
  const auto& m = c.model.options.as<DiffusionFamilyOptions>();
  CHECK(m.preconditioning.process == "flow");
  CHECK(m.net.width == 32);
  CHECK(m.net.embedding.kind == "sinusoidal");  // default
  CHECK(c.samplers[0].grid.kind == default_grid_kind("flow"));  // the process's own grid
  CHECK(c.train.steps == 50);
  CHECK(c.train.batch_size == 512);  // default
  REQUIRE(c.samplers.size() == 2);
  CHECK(c.samplers[0].name == "heun-10");
  CHECK(option_values(c.samplers[1].options).at("S_churn") == "10");
  CHECK(c.output.path.empty());  // a new folder runs/tiny/<UTC time>/ per run
  CHECK(c.output.folder == "runs");
  // Overrides are typed by YAML's rules and may add keys that the file left out.
  const ExperimentConfig o = parse_experiment_config(
      kGood, "good.yaml",
      {"train.steps=200", "model.net.width=64", "train.lr=3e-4", "evaluate.likelihood=true"});
  CHECK(o.train.steps == 200);
  CHECK(o.model.options.as<DiffusionFamilyOptions>().net.width == 64);
  CHECK(o.train.lr == Approx(3e-4));
  CHECK(o.evaluate.likelihood);
}

TEST_CASE("config: the resolved YAML reads back to the same config", "[config]") {
  const std::string resolved = to_yaml(parse_experiment_config(kGood, "good.yaml"));
  CHECK_THAT(resolved, Contains("batch_size: 512"));
  CHECK_THAT(resolved, Contains("S_noise: 1.003"));  // the sampler's defaults filled in
  CHECK(to_yaml(parse_experiment_config(resolved, "resolved.yaml")) == resolved);
}

TEST_CASE("config: each error class names file, line:column and key path", "[config]") {
  // Unknown key, with a did-you-mean.
  CHECK_THAT(error_of("train:\n  stpes: 10\n"),
             Contains("bad.yaml:2:3: train.stpes: unknown key (did you mean 'steps'?)"));
  // Wrong type.
  CHECK_THAT(error_of("train:\n  steps: many\n"),
             Contains("bad.yaml:2:10: train.steps: expected an integer, got 'many'"));
  CHECK_THAT(error_of("train:\n  steps: 2.5\n"),
             Contains("train.steps: expected an integer, got '2.5'"));
  CHECK_THAT(error_of("model:\n  net: 5\n"),
             Contains("bad.yaml:2:8: model.net: expected a mapping"));
  // Out of range.
  CHECK_THAT(error_of("train:\n  lr: -1\n"),
             Contains("bad.yaml:2:7: train.lr: must be in (0, 10)"));
  // Unknown enum value, with the allowed list.
  CHECK_THAT(error_of("model:\n  process: vpp\n"),
             Contains("bad.yaml:2:12: model.process: unknown value 'vpp' (did you mean 'vp'?); "
                      "allowed: vp, ve, edm, flow"));
  CHECK_THAT(
      error_of("samplers:\n  - {sampler: huen}\n"),
      Contains(
          "bad.yaml:2:15: samplers[0].sampler: unknown value 'huen' (did you mean 'heun'?)"));
  CHECK_THAT(error_of("samplers:\n  - {sampler: heun, options: {eta: 1}}\n"),
             Contains("bad.yaml:2:31: samplers[0].options.eta: unknown key; known keys here: none"));
  // Missing required key.
  CHECK_THAT(error_of("samplers:\n  - {steps: 10}\n"),
             Contains("bad.yaml:2:5: samplers[0].sampler: missing required key"));
  // Duplicates, family mismatches, syntax.
  CHECK_THAT(error_of("samplers:\n  - {sampler: heun}\n  - {sampler: heun}\n"),
             Contains("bad.yaml:3:5: samplers[1].name: duplicate name 'heun-18'"));
  CHECK_THAT(error_of("model:\n  family: analytic\n"), Contains("needs an exact mixture"));
  CHECK_THAT(error_of("train: [1, 2\n"), Contains("bad.yaml:"));
  CHECK_THAT(error_of("train: [1, 2\n"), Contains("YAML syntax error"));
  // Errors in overrides name the override.
  CHECK_THAT(error_of(kGood, {"train.steps=lots"}),
             Contains("override 'train.steps=lots': train.steps: expected an integer"));
  CHECK_THAT(error_of(kGood, {"train.stpes=5"}),
             Contains("override 'train.stpes=5': train.stpes: unknown key"));
  CHECK_THAT(error_of(kGood, {"train"}), Contains("expected key.path=value"));
}

TEST_CASE("did-you-mean picks the nearest name only when it is close", "[config]") {
  CHECK(did_you_mean("batchsize", {"batch_size", "steps"}) == "batch_size");
  CHECK(did_you_mean("zzz", {"batch_size", "steps"}).empty());
}

TEST_CASE("config: overrides index into lists", "[config]") {
  const ExperimentConfig c = parse_experiment_config(kGood, "good.yaml", {"samplers.1.steps=40"});
  CHECK(c.samplers[1].steps == 40);
  CHECK_THAT(error_of(kGood, {"samplers.5.steps=4"}),
             Contains("samplers is a list of 2; '5' is not an index"));
  CHECK_THAT(error_of(kGood, {"samplers.0.steps=x"}),
             Contains("override 'samplers.0.steps=x': samplers[0].steps: expected an integer"));
}

TEST_CASE("config: image data and the autoregressive family, resolved round trip", "[config]") {
  const char* made =
      "data: {name: fashion_mnist, binarize: dynamic, downsample: true}\n"
      "model: {family: autoregressive, arch: made, hidden: [300, 200], num_masks: 4, ensemble: "
      "2}\n";
  const ExperimentConfig c = parse_experiment_config(made, "made.yaml");
  CHECK(c.data.options.as<ImageDataOptions>().downsample);
  CHECK(c.model.options.as<AutoregressiveFamilyOptions>().made.hidden ==
        std::vector<int64_t>{300, 200});
  const std::string resolved = to_yaml(c);
  CHECK_THAT(resolved, Contains("downsample: true"));
  CHECK(to_yaml(parse_experiment_config(resolved, "resolved.yaml")) == resolved);
  CHECK_THAT(error_of("data: {name: moons, threshold: 0.3}\n"),
             Contains("data.threshold: unknown key"));
  CHECK_THAT(
      error_of("data: {name: fashion_mnist}\nmodel: {family: autoregressive, ensemble: 3}\n"),
      Contains("model.ensemble: must be in [1, num_masks]"));
  CHECK_THAT(
      error_of("data: {name: fashion_mnist}\nmodel: {family: autoregressive, hidden: [10, x]}\n"),
      Contains("bad.yaml:2:46: model.hidden[1]: expected an integer"));
  CHECK_THAT(error_of("data: {name: fashion_mnist}\nmodel: {family: diffusion}\n"),
             Contains("needs data.binarize: none"));
  CHECK_THAT(error_of("model: {family: autoregressive}\n"), Contains("models binary images"));
}

TEST_CASE("config: the vae family, its defaults, errors and resolved round trip", "[config]") {
  const char* gumbel =
      "data: {name: fashion_mnist, binarize: dynamic, held_out_binarize: sample}\n"
      "model: {family: vae, latent: categorical, tau_rate: 1.0e-4,\n"
      "        estimator_study: {enabled: true, estimators: [gumbel_st, reinforce]}}\n";
  const ExperimentConfig c = parse_experiment_config(gumbel, "g.yaml");
  const auto& v = c.model.options.as<VAEFamilyOptions>();
  CHECK(v.estimator == "gumbel_st");      // the categorical default
  CHECK(v.vae.likelihood == "bernoulli");  // images
  CHECK(c.data.options.as<ImageDataOptions>().held_out_binarize == "sample");
  CHECK(v.estimator_study.estimators == std::vector<std::string>{"gumbel_st", "reinforce"});
  const std::string resolved = to_yaml(c);
  CHECK_THAT(resolved, Contains("estimators: [gumbel_st, reinforce]"));
  CHECK(to_yaml(parse_experiment_config(resolved, "resolved.yaml")) == resolved);
  // Vector data: a Gaussian likelihood and the reparameterization trick by default.
  const ExperimentConfig toy = parse_experiment_config("model: {family: vae}\n", "t.yaml");
  CHECK(toy.model.options.as<VAEFamilyOptions>().vae.likelihood == "gaussian");
  CHECK(toy.model.options.as<VAEFamilyOptions>().estimator == "reparameterization");
  CHECK_THAT(error_of("model:\n  family: vae\n  estimator: gumbel_st\n"),
             Contains("bad.yaml:3:14: model.estimator: 'gumbel_st' does not apply to gaussian "
                      "latents"));
  CHECK_THAT(error_of("model:\n  family: vae\n  estimator: reparametrization\n"),
             Contains("(did you mean 'reparameterization'?)"));
  CHECK_THAT(error_of("model: {family: vae, estimator_study: {estimators: [reinforce, gumbel]}}\n"),
             Contains("model.estimator_study.estimators[1]: unknown value 'gumbel'"));
  CHECK_THAT(error_of("model: {family: vae, tau: 0.5, tau_min: 0.7}\n"),
             Contains("model.tau_min: must be in (0, tau]"));
  CHECK_THAT(error_of("model: {family: vae, arch: made}\n"), Contains("model.arch: unknown key"));
  // The known keys are listed once each (the family key used to appear twice).
  const std::string known = error_of("model: {family: diffusion, samples: 3}\n");
  CHECK_THAT(known, Contains("known keys here: family, process,"));
}

TEST_CASE("config: a user's own Gaussian mixture, with located errors", "[config][mixture]") {
  const std::string head = "data:\n  name: mixture\n";
  const ExperimentConfig full = parse_experiment_config(
      head + "  weights: [0.25, 0.75]\n  means: [[0, 0, 0], [1, 2, 3]]\n"
             "  covariances: [[[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]], [[2, 0, 0], [0, 1, 0], [0, 0, 0.5]]]\n"
             "model: {family: analytic, process: vp}\n",
      "m.yaml");
  const auto data = make_dataset(full.data, full.seed);
  REQUIRE(data->mixture());
  CHECK(data->dims() == 3);
  CHECK(data->mixture()->components() == 2);
  // The resolved YAML keeps the matrices and reads back to itself.
  const std::string resolved = to_yaml(full);
  CHECK(to_yaml(parse_experiment_config(resolved, "r.yaml")) == resolved);
  // The mixture's moments: mean 0.25 * 0 + 0.75 * (1, 2, 3).
  Generator g(1);
  const Tensor x = data->draw(40000, g);
  const auto m = mean(x, {0}).to_vector();
  CHECK(m[0] == Approx(0.75).margin(0.03));
  CHECK(m[2] == Approx(2.25).margin(0.03));
  // Diagonal variances in any dimension.
  CHECK(make_dataset(parse_experiment_config(head + "  weights: [1]\n  means: [[1, 2, 3, 4]]\n"
                                                    "  variances: [[1, 2, 3, 4]]\n",
                                             "d.yaml")
                         .data,
                     0)
            ->dims() == 4);
  CHECK_THAT(error_of(head + "  weights: [0.5, 0.6]\n  means: [[0], [1]]\n  variances: [[1], [1]]\n"),
             Contains("bad.yaml:3:12: data.weights: must sum to 1 (within 1e-6), they sum to 1.1"));
  CHECK_THAT(error_of(head + "  weights: [1.5, -0.5]\n  means: [[0], [1]]\n  variances: [[1], [1]]\n"),
             Contains("data.weights: entries must be >= 0"));
  CHECK_THAT(error_of(head + "  weights: [1]\n  means: [[0, 0]]\n  covariances: [[[1, 2], [2, 1]]]\n"),
             Contains("bad.yaml:5:16: data.covariances: component 0 is not positive definite"));
  CHECK_THAT(error_of(head + "  weights: [1]\n  means: [[0, 0]]\n  covariances: [[[1, 0.1], [0, 1]]]\n"),
             Contains("data.covariances: component 0 is not symmetric"));
  CHECK_THAT(error_of(head + "  weights: [0.5, 0.5]\n  means: [[0, 0], [1]]\n  variances: [[1, 1], [1, 1]]\n"),
             Contains("data.means: mean 1 has 1 dimensions, mean 0 has 2"));
  CHECK_THAT(error_of(head + "  weights: [1]\n  means: [[0, 0]]\n  variances: [[1, 1, 1]]\n"),
             Contains("data.variances: row 0 has 3 entries, the means have 2 dimensions"));
  CHECK_THAT(error_of(head + "  weights: [1]\n  means: [[0, .nan]]\n  variances: [[1, 1]]\n"),
             Contains("bad.yaml:4:15: data.means[0][1]: must be finite"));
  CHECK_THAT(error_of(head + "  weights: [1]\n  means: [[0]]\n"),
             Contains("give either variances (diagonal) or covariances (full)"));
  // The seeded random preset, in any dimension.
  CHECK(make_dataset(parse_experiment_config("data: {name: mixture/random, dims: 5, components: 3}\n",
                                             "r.yaml")
                         .data,
                     2)
            ->dims() == 5);
}

TEST_CASE("config: non-finite numbers, threads, the analytic family's sigma_data", "[config]") {
  CHECK_THAT(error_of("train:\n  lr: .nan\n"),
             Contains("bad.yaml:2:7: train.lr: must be a finite number"));
  CHECK_THAT(error_of("model: {family: diffusion, sigma_data: .inf}\n"),
             Contains("model.sigma_data: must be a finite number"));
  CHECK_THAT(error_of("model: {family: diffusion, net: {fourier_scale: .nan}}\n"),
             Contains("model.net.fourier_scale: must be a finite number"));
  CHECK_THAT(error_of("model: {family: autoregressive}\ndata: {name: fashion_mnist}\n",
                      {"model.hidden=[]"}),
             Contains("model.hidden: needs at least one layer"));
  CHECK(parse_experiment_config(kGood, "g.yaml", {"threads=1"}).threads == 1);
  CHECK_THAT(error_of(kGood, {"threads=-2"}), Contains("threads: must be in [0, 1024]"));
  const ExperimentConfig a = parse_experiment_config(
      "data: {name: mixture/grid25}\nmodel: {family: analytic, sigma_data: 0.7}\n", "a.yaml");
  CHECK(a.model.options.as<AnalyticFamilyOptions>().sigma_data == 0.7);
  CHECK(a.train.steps == 0);  // nothing to train
  CHECK_THAT(error_of("samplers:\n  - {sampler: heun, final_step: half}\n"),
             Contains("samplers[0].final_step: unknown value 'half'"));
  CHECK_THAT(error_of("samplers:\n  - {sampler: heun, rho: .nan}\n"),
             Contains("samplers[0].rho: must be a finite number"));
  CHECK_THAT(error_of("samplers:\n  - {sampler: heun, name: summary}\n"),
             Contains("samplers[0].name: must not contain '/' nor be '.' or 'summary'"));
}

TEST_CASE("config text that YAML would accept wrongly is refused, with its location",
          "[config][text]") {
  // A key given twice: YAML forbids it, yaml-cpp would keep the first silently.
  CHECK_THAT(error_of("train:\n  steps: 5\n  steps: 6\n"),
             Contains("bad.yaml:3:3: train.steps: duplicate key (first given at line 2)"));
  CHECK_THAT(error_of("train: {steps: 5}\nseed: 1\ntrain: {bogus: 1}\n"),
             Contains("bad.yaml:3:1: train: duplicate key (first given at line 1)"));
  // A second document would be ignored.
  CHECK_THAT(error_of("seed: 1\n---\nseed: 2\n"), Contains("bad.yaml:2:1: a second YAML document"));
  CHECK(parse_experiment_config("---\nseed: 1\n...\n", "one.yaml").seed == 1);  // one document
  // A 42-byte input on which yaml-cpp 0.7's LoadAll loops forever (found by the fuzzer).
  CHECK_THAT(error_of(",e0 2#val_every: 30}{steps: 6}\n{steps: 6}\n"), Contains("bad.yaml:"));
  // An unterminated quote runs into the next lines: a line break in a name.
  CHECK_THAT(error_of("name: \"tiny\nseed: 3\ntrain: {steps: 5}\n"),
             Contains("bad.yaml:1:7: a quote opened here is not closed on its line"));
  CHECK_THAT(error_of("seed: 1\nsamplers:\n  - {sampler: 'heun, steps: 5}\n"),
             Contains("bad.yaml:3:15: a quote opened here is not closed"));
  // Quotes that close, apostrophes inside words and comments are fine.
  CHECK(parse_experiment_config("name: 'it''s'  # a 'comment\nseed: 2\n", "q.yaml").name == "it's");
  CHECK(parse_experiment_config("name: don't\n", "q.yaml").name == "don't");
  CHECK_THAT(error_of("name: \"a\\0b\"\n"), Contains("name: must not contain control characters"));
  CHECK_THAT(error_of("output: {path: \"x\\0.h5\"}\n"), Contains("output.path: must not contain control"));
  // Invalid UTF-8, including an overlong encoding of '/'.
  CHECK_THAT(error_of("name: a\xC0\xAF" "b\n"), Contains("bad.yaml:1:8: invalid UTF-8"));
  CHECK_THAT(error_of("name: \xff\n"), Contains("invalid UTF-8"));
  // UTF-16, with and without a byte-order mark, is named as such.
  CHECK_THAT(error_of(std::string("\xff\xfen\0a\0m\0e\0", 10)), Contains("UTF-16 or UTF-32") && Contains("iconv"));
  CHECK_THAT(error_of(std::string("n\0a\0m\0e\0:\0", 10)), Contains("UTF-16 or UTF-32"));
  CHECK(parse_experiment_config("name: caf\xC3\xA9\n", "ok.yaml").name == "caf\xC3\xA9");
  // Overrides: an empty value, an empty key piece, an index too large for any list.
  CHECK_THAT(error_of(kGood, {"train.steps="}), Contains("override 'train.steps=': empty value"));
  CHECK_THAT(error_of(kGood, {"train.steps.=5"}), Contains("empty key in the path"));
  CHECK_THAT(error_of(kGood, {"samplers.99999999999999999999.steps=1"}),
             Contains("is not an index into it"));
  // Aliases that expand a short text to 1e8 values ("billion laughs", found by the
  // config fuzzer): refused at once instead of walked for seconds to hours.
  std::string laughs = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    const char prev = static_cast<char>(c - 1);
    laughs += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) laughs += std::string(i ? ", " : "") + "*" + prev;
    laughs += "]\n";
  }
  CHECK_THAT(error_of(laughs), Contains("the config expands to more than 100000 values"));
  // Deep nesting: yaml-cpp's own message was "bad file".
  CHECK_THAT(error_of("name: " + std::string(3000, '[') + std::string(3000, ']') + "\n"),
             Contains("YAML syntax error: nested too deeply"));
  // Variant names fit the summary table.
  CHECK_THAT(error_of("samplers:\n  - {sampler: heun, name: " + std::string(64, 'x') + "}\n"),
             Contains("samplers[0].name: must be at most 63 bytes"));
}

TEST_CASE("sweep values: empty ones refused, commas inside quotes and brackets kept",
          "[config][sweep]") {
  CHECK_THROWS_WITH(expand_sweep({"seed=0,,1"}), Contains("empty value in the sweep list"));
  CHECK_THROWS_WITH(expand_sweep({"seed=0,1,"}), Contains("empty value in the sweep list"));
  const auto points = expand_sweep({"output.path='a,b.h5',c.h5", "model.hidden=[300,200],[50]"});
  REQUIRE(points.size() == 4);
  CHECK(points[0] == std::vector<std::string>{"output.path='a,b.h5'", "model.hidden=[300,200]"});
  CHECK(points[3] == std::vector<std::string>{"output.path=c.h5", "model.hidden=[50]"});
  CHECK_THROWS_WITH(expand_sweep({"a=[1,2"}), Contains("unbalanced"));
}

TEST_CASE("config: a U-Net needs images, diffusion on images needs gray levels", "[config][unet]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(parse_experiment_config("model: {family: diffusion, net: {kind: unet}}\n", "u.yaml", {}),
                    Contains("u.yaml") && Contains("model.net.kind") && Contains("unet needs image data"));
  CHECK_THROWS_WITH(parse_experiment_config("data: {name: fashion_mnist}\nmodel: {family: diffusion}\n", "d.yaml", {}),
                    Contains("binarize: none"));
  CHECK_THROWS_WITH(parse_experiment_config("data: {name: fashion_mnist, binarize: none}\n"
                                            "model: {family: autoregressive}\n", "a.yaml", {}),
                    Contains("binary images"));
  CHECK_THROWS_WITH(parse_experiment_config("data: {name: fashion_mnist, binarize: none}\n"
                                            "model: {family: diffusion, net: {kind: unet, channel_mult: []}}\n",
                                            "c.yaml", {}),
                    Contains("model.net.channel_mult"));
  const auto c = parse_experiment_config("data: {name: fashion_mnist, binarize: none}\n"
                                         "model: {family: diffusion, net: {kind: unet, channels: 16, "
                                         "channel_mult: [1, 2, 2]}}\n", "ok.yaml", {});
  const auto& n = c.model.options.as<DiffusionFamilyOptions>().net;
  CHECK(n.kind == "unet");
  CHECK(n.unet.channels == 16);
  CHECK(n.unet.channel_mult == std::vector<int64_t>{1, 2, 2});
}

TEST_CASE("config: a U-Net whose levels do not divide the image is refused before training",
          "[config][unet]") {
  const std::string path = genlab::testing::temp_path("undivided.h5");
  const auto c = parse_experiment_config(
      "data: {name: fashion_mnist, binarize: none, downsample: true, validation: 100}\n"
      "model: {family: diffusion, net: {kind: unet, channel_mult: [1, 2, 2]}}\n", "u.yaml",
      {"output.path=" + path});
  std::ostringstream out;
  // 14x14 halves once to 7x7, not twice.
  CHECK_THROWS_WITH(run_experiment(c, out, RunOptions{}), Catch::Matchers::Contains("model.net.channel_mult") &&
                                                    Catch::Matchers::Contains("14x14"));
  CHECK_FALSE(std::filesystem::exists(path));  // refused before any file was made
}

TEST_CASE("config: precision, noise and named sampler options, in and out", "[config]") {
  const std::string yaml =
      "data: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\nsamplers:\n"
      "  - {sampler: dpmpp_2m_sde, steps: 30, noise: brownian_tree, precision: float64,\n"
      "     options: {solver_type: heun, eta: 0.5}}\n"
      "  - {sampler: unipc, options: {order: 3, solver_type: bh1}}\n";
  const ExperimentConfig c = parse_experiment_config(yaml, "s.yaml");
  REQUIRE(c.samplers.size() == 2);
  CHECK(c.samplers[0].noise == "brownian_tree");
  CHECK(c.samplers[0].precision == "float64");
  CHECK(option_values(c.samplers[0].options).at("solver_type") == "heun");
  CHECK(option_values(c.samplers[0].options).at("eta") == "0.5");
  CHECK(option_values(c.samplers[0].options).at("s_noise") == "1");  // resolved with the defaults
  CHECK(option_values(c.samplers[1].options).at("solver_type") == "bh1");
  CHECK(c.samplers[1].noise == "independent");
  // Written back by name, and read back the same.
  const std::string out = to_yaml(c);
  CHECK_THAT(out, Contains("solver_type: heun"));
  CHECK_THAT(out, Contains("solver_type: bh1"));
  const ExperimentConfig again = parse_experiment_config(out, "again.yaml");
  CHECK(option_values(again.samplers[0].options) == option_values(c.samplers[0].options));
  CHECK(option_values(again.samplers[1].options) == option_values(c.samplers[1].options));
  CHECK(to_yaml(again) == out);
  // Errors name the file, the key and its line.
  const std::string head = "data: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\nsamplers:\n";
  CHECK_THAT(error_of(head + "  - {sampler: heun, noise: brownian_tree}\n"),
             Contains("bad.yaml:4:28: samplers[0].noise: sampler 'heun' takes no brownian_tree noise"));
  CHECK_THAT(error_of(head + "  - {sampler: unipc, options: {solver_type: bh3}}\n"),
             Contains("bad.yaml:4:45: samplers[0].options.solver_type: unknown value 'bh3' (did you mean 'bh1'?); allowed: bh1, bh2"));
  CHECK_THAT(error_of(head + "  - {sampler: lms, options: {order: [4]}}\n"),
             Contains("bad.yaml:4:37: samplers[0].options.order: expected an integer, got a sequence"));
  CHECK_THAT(error_of(head + "  - {sampler: restart, options: {restart_min: 3}}\n"),
             Contains("samplers[0].options.restart_min: needs 0 < restart_min < restart_max"));
  CHECK_THAT(error_of(head + "  - {sampler: unipc, options: {corrector: 2}}\n"),
             Contains("samplers[0].options.corrector: "));
  CHECK_THAT(error_of(head + "  - {sampler: heun, precision: double}\n"),
             Contains("samplers[0].precision: unknown value 'double'"));
  // On the command line of genlab sample, the same keys.
  const SamplerVariant v =
      parse_sampler_variant("dpmpp_3m_sde", {"steps=20", "noise=brownian_tree", "precision=float64", "eta=0.5"}, c);
  CHECK(v.noise == "brownian_tree");
  CHECK(v.precision == "float64");
  CHECK(option_values(v.options).at("eta") == "0.5");
  // Every key a variant's fields() declare is a command-line setting (nfe was once missing
  // from a hand-kept list), and the sampler's options sit beside them.
  const std::vector<std::string> keys = variant_keys();
  for (const char* key : {"nfe", "guidance", "rho", "shift", "final_step", "labels"})
    CHECK(std::find(keys.begin(), keys.end(), key) != keys.end());
  const SamplerVariant budget = parse_sampler_variant("heun", {"nfe=20"}, c);
  CHECK(budget.nfe == 20);
  CHECK(budget.steps == 10);  // 2N - 1 <= 20
  const SamplerVariant unipc = parse_sampler_variant("unipc", {"solver_type=bh1", "corrector=false", "order=3"}, c);
  CHECK(option_values(unipc.options).at("solver_type") == "bh1");
  CHECK(option_values(unipc.options).at("corrector") == "false");
  CHECK_THROWS_WITH(parse_sampler_variant("unipc", {"solver_typ=bh1"}, c), Contains("did you mean 'solver_type'?"));
  CHECK_THROWS_WITH(parse_sampler_variant("restart", {"restart_min=5"}, c),
                    Contains("options.restart_min: needs 0 < restart_min < restart_max"));
}

TEST_CASE("config: a sampler on a grid where it is registered unstable gets a note", "[config]") {
  const std::string head = "data: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\nsamplers:\n";
  const ExperimentConfig bad = parse_experiment_config(head + "  - {sampler: dpmpp_3m_sde, grid: vp}\n", "s.yaml");
  REQUIRE(bad.notes.size() == 1);
  CHECK_THAT(bad.notes[0], Catch::Matchers::Contains("dpmpp_3m_sde-100: sampler 'dpmpp_3m_sde' is "
                                                     "unstable on the vp grid"));
  CHECK(parse_experiment_config(head + "  - {sampler: dpmpp_3m_sde, grid: edm}\n", "s.yaml").notes.empty());
  CHECK(parse_experiment_config(head + "  - {sampler: heun, grid: vp}\n", "s.yaml").notes.empty());
}

TEST_CASE("config: an NFE budget picks the largest step count that fits, and each: expands a study",
          "[config]") {
  const std::string head = "data: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\nsamplers:\n";
  const ExperimentConfig c = parse_experiment_config(
      head + "  - {sampler: heun, nfe: 20}\n  - {sampler: dpmpp_2m, nfe: 20}\n  - {sampler: rk4, nfe: 20}\n"
             "  - {sampler: pc, nfe: 20, options: {corrector_steps: 2}}\n",
      "b.yaml");
  REQUIRE(c.samplers.size() == 4);
  // heun 2N - 1, dpmpp_2m N, rk4 4N - 3, pc (1 + 2)(N - 1) + 1: the registry's counts.
  CHECK(c.samplers[0].steps == 10);  // 19 NFE
  CHECK(c.samplers[1].steps == 20);
  CHECK(c.samplers[2].steps == 5);  // 17 NFE
  CHECK(c.samplers[3].steps == 7);  // 19 NFE
  for (const auto& s : c.samplers) {
    INFO(s.name);
    CHECK(sampler_nfe(s.sampler, s.steps, s.options) <= 20);
    CHECK(sampler_nfe(s.sampler, s.steps + 1, s.options) > 20);
  }
  CHECK(c.samplers[0].name == "heun-nfe20");
  // What a budget did not buy is said.
  REQUIRE(c.notes.size() == 3);
  CHECK_THAT(c.notes[0], Catch::Matchers::Contains("10 steps of heun use 19 of the 20 NFE budget (11 would use 21)"));
  // The resolved config (steps and nfe) reads back to the same variants.
  const ExperimentConfig back = parse_experiment_config(to_yaml(c), "back.yaml");
  CHECK(back.samplers[0].steps == 10);
  CHECK(back.samplers[0].nfe == 20);
  // A guided step costs two evaluations: a conditional model's budget buys half the steps,
  // and with a guidance interval, what the interval's evaluations cost.
  const std::string cond =
      "data: {name: fashion_mnist, binarize: none}\nmodel: {family: diffusion, classes: 10, net: {kind: unet}}\n"
      "samplers:\n  - {sampler: heun, nfe: 20, guidance: 2, name: w2}\n  - {sampler: heun, nfe: 20, guidance: 1, name: w1}\n"
      "  - {sampler: heun, nfe: 20, guidance: 2, guidance_interval: [0.28, 5.42], name: interval}\n";
  const ExperimentConfig guided = parse_experiment_config(cond, "g.yaml");
  CHECK(guided.samplers[0].steps == 5);   // 2 (2N - 1) = 18
  CHECK(guided.samplers[1].steps == 10);  // unguided: 19
  CHECK(guided.samplers[2].steps > 5);
  CHECK(guided.samplers[2].steps < 10);
  // Errors: steps that contradict the budget, an adaptive sampler, a budget below one step.
  auto error_of = [&](const std::string& s) {
    try {
      parse_experiment_config(head + s, "bad.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of("  - {sampler: heun, nfe: 20, steps: 12}\n"),
             Catch::Matchers::Contains("give steps or nfe, not both (nfe 20 gives 10 steps of heun)"));
  CHECK_THAT(error_of("  - {sampler: rk45, nfe: 20}\n"), Catch::Matchers::Contains("adaptive"));
  CHECK_THAT(error_of("  - {sampler: restart, nfe: 0.5}\n"), Catch::Matchers::Contains("samplers[0].nfe"));
  // each: one variant per sampler, crossed with every listed budget (and steps).
  const ExperimentConfig study = parse_experiment_config(
      head + "  - {each: [heun, dpmpp_2m, unipc], nfe: [10, 20], precision: float64}\n  - {sampler: rk45}\n",
      "study.yaml");
  REQUIRE(study.samplers.size() == 7);
  std::vector<std::string> names;
  for (const auto& s : study.samplers) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"heun-nfe10", "heun-nfe20", "dpmpp_2m-nfe10", "dpmpp_2m-nfe20",
                                          "unipc-nfe10", "unipc-nfe20", "rk45"});
  CHECK(study.samplers[3].precision == "float64");
  const ExperimentConfig by_steps =
      parse_experiment_config(head + "  - {each: [euler, ddim], steps: [5, 50]}\n", "steps.yaml");
  REQUIRE(by_steps.samplers.size() == 4);
  CHECK(by_steps.samplers[3].name == "ddim-50");
  CHECK_THAT(error_of("  - {each: heun}\n"), Catch::Matchers::Contains("bad.yaml:4:12: samplers[0].each: expected a non-empty list of names"));
  CHECK_THAT(error_of("  - {each: [heun], sampler: euler}\n"), Catch::Matchers::Contains("give sampler or each, not both"));
  CHECK_THAT(error_of("  - {each: [heun, nosuch]}\n"), Catch::Matchers::Contains("nosuch"));
}
