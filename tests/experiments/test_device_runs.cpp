// `device: cuda` end to end: every family trains, evaluates and samples on the CUDA device
// and gives the CPU's run (weights, losses, variant table); a run moves between devices
// through its run file (resume, `genlab sample --device`). On a GPU the numbers agree
// within float tolerance; on the tagged host stand-in (device_emulation) they must be
// identical, and any host access to device memory faults. Without either, one line
// says what was skipped.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "genlab/core/backend.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/core/device_under_test.h"
#include "tests/experiments/run_file_compare.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
using genlab::testing::max_difference;
using genlab::testing::temp_path;

namespace {

RunSummary run(const std::string& yaml, const std::string& device, const std::string& path,
               std::vector<std::string> overrides = {}, const std::string& resume = "") {
  overrides.push_back("output.path=" + path);
  overrides.push_back("device=" + device);
  // A GPU machine without Debian's dataset package gets the files from the bundle
  // (tests/gpu/check.sh sets this).
  if (const char* mnist = std::getenv("GENLAB_FASHION_MNIST"); mnist && yaml.find("fashion_mnist") != std::string::npos)
    overrides.push_back(std::string("data.path=") + mnist);
  RunOptions o;
  o.resume = resume;
  o.overwrite = true;
  std::ostringstream log;
  return run_experiment(parse_experiment_config(yaml, "device.yaml", overrides), log, o);
}

std::vector<double> column(const std::string& path, const std::string& group, const std::string& key) {
  return RunFile::open(path).read_columns(group).at(key);
}

const char* kDiffusion = R"(name: dev
data: {name: moons}
model: {family: diffusion, process: edm, net: {width: 32, depth: 2, embedding_dim: 16}}
train: {steps: 12, batch_size: 64, lr: 3.0e-3, log_every: 4, eval_every: 6, checkpoint_every: 6}
evaluate: {samples: 128, eval_steps: 4, rk45_reference: false}
samplers:
  - {sampler: heun, steps: 4}
  - {sampler: dpmpp_sde, steps: 4, noise: brownian_tree}
  - {sampler: edm_stochastic, steps: 4, options: {S_churn: 10}}
  - {sampler: rk45}
)";

struct Case {
  const char* what;
  std::string yaml;
  // Off the CPU, NADE runs its masked form instead of the fused CPU kernel: the same
  // function in another summation order, so even the stand-in differs by rounding.
  bool other_formulation = false;
};

std::vector<Case> family_cases() {
  const std::string mnist = "data: {name: fashion_mnist, validation: 100, downsample: true}\n";
  return {
      {"diffusion MLP, deterministic and stochastic samplers", kDiffusion},
      {"diffusion U-Net, class-conditional with guidance",
       "name: dev\ndata: {name: fashion_mnist, binarize: none, validation: 0, downsample: true, flip: true}\n"
       "model: {family: diffusion, classes: 10, label_dropout: 0.2, net: {kind: unet, channels: 4, "
       "channel_mult: [1, 2], norm_groups: 2, dropout: 0.1, attention_resolutions: [7]}}\n"
       "train: {steps: 3, batch_size: 6, log_every: 1, eval_every: 0}\n"
       "evaluate: {samples: 6, eval_steps: 2, rk45_reference: false, classifier: none}\n"
       "samplers:\n  - {sampler: euler, steps: 2, guidance: 2.0}\n"},
      {"MADE", "name: dev\n" + mnist +
                   "model: {family: autoregressive, arch: made, hidden: [32], samples: 2}\n"
                   "train: {steps: 6, batch_size: 16, log_every: 2, eval_every: 3}\n"},
      {"NADE", "name: dev\n" + mnist +
                   "model: {family: autoregressive, arch: nade, hidden: [16], samples: 2}\n"
                   "train: {steps: 4, batch_size: 8, log_every: 2, eval_every: 0}\n",
       true},
      {"Transformer with dropout", "name: dev\n" + mnist +
                                       "model: {family: autoregressive, arch: transformer, layers: 1, width: 16, "
                                       "heads: 2, dropout: 0.2, samples: 2}\n"
                                       "train: {steps: 4, batch_size: 4, lr: 3.0e-3, log_every: 2, eval_every: 0}\n"},
      {"VAE, Gaussian", "name: dev\n" + mnist +
                            "model: {family: vae, latent_dim: 4, hidden: 32, samples: 2, iwae_k: 4, iwae_examples: 20}\n"
                            "train: {steps: 6, batch_size: 16, log_every: 2, eval_every: 3}\n"},
      {"VAE, categorical, Gumbel-Softmax",
       "name: dev\n" + mnist +
           "model: {family: vae, latent: categorical, latent_dim: 3, categories: 4, hidden: 32, "
           "samples: 2, iwae_k: 4, iwae_examples: 20}\n"
           "train: {steps: 6, batch_size: 16, log_every: 2, eval_every: 3}\n"},
      {"classifier", "name: dev\ndata: {name: fashion_mnist, binarize: none, validation: 50, downsample: true}\n"
                     "model: {family: classifier, channels: [4], features: 16}\n"
                     "train: {steps: 4, batch_size: 10, log_every: 2, eval_every: 0}\n"},
      {"analytic mixture (no training), SDE samplers",
       "name: dev\ndata: {name: mixture/eight_gaussians}\nmodel: {family: analytic, process: edm}\n"
       "evaluate: {samples: 128, rk45_reference: false}\n"
       "samplers:\n  - {sampler: euler_maruyama, steps: 6}\n"
       "  - {sampler: dpmpp_sde, steps: 4, noise: brownian_tree}\n"},
  };
}

}  // namespace

TEST_CASE("device: cuda trains, evaluates and samples every family as the CPU does", "[device]") {
  const auto cuda = genlab::testing::cuda_under_test();
  const auto cases = family_cases();
  if (!cuda.available) {
    WARN(cases.size() << " family runs skipped on cuda: " << cuda.why_not);
    return;
  }
  // A GPU's float sums differ in order from the CPU's and the differences grow over the
  // steps; a few steps stay within 1e-3 (weights relative to 1 + |w|, losses relative).
  for (const Case& c : cases) {
    SECTION(c.what) {
      const double tolerance = cuda.emulated && !c.other_formulation ? 0.0 : 1e-3;
      const std::string on_cuda = temp_path("device_cuda.h5"), on_cpu = temp_path("device_cpu.h5");
      REQUIRE(run(c.yaml, "cuda", on_cuda).status == "completed");
      REQUIRE(run(c.yaml, "cpu", on_cpu).status == "completed");
      const auto attrs = RunFile::open(on_cuda).attrs();
      CHECK(attrs.at("device") == "cuda:0");
      CHECK(attrs.at("device_name") == cuda.name);
      CHECK(RunFile::open(on_cpu).attrs().at("device") == "cpu");
      CHECK(RunFile::open(on_cpu).attrs().at("device_name") == backend(Device::cpu).describe());
      if (RunFile::open(on_cpu).exists("/model")) CHECK(max_difference(on_cuda, on_cpu, "model", true) <= tolerance);
      const auto a = RunFile::open(on_cuda).read_summary(), b = RunFile::open(on_cpu).read_summary();
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i)
        for (const auto& [key, value] : b[i].numbers) {
          if (key.size() > 2 && key.compare(key.size() - 2, 2, "_s") == 0) continue;  // timings
          INFO("variant " << i << " " << key);
          REQUIRE(a[i].numbers.count(key));
          if (std::isnan(value)) {  // "-": a column this variant has no value for
            CHECK(std::isnan(a[i].numbers.at(key)));
            continue;
          }
          CHECK(std::fabs(a[i].numbers.at(key) - value) <= tolerance * (1 + std::fabs(value)));
        }
      if (RunFile::open(on_cpu).exists("/train")) {
        const auto la = column(on_cuda, "train", "loss"), lb = column(on_cpu, "train", "loss");
        REQUIRE(la.size() == lb.size());
        for (size_t i = 0; i < la.size(); ++i) CHECK(std::fabs(la[i] - lb[i]) <= tolerance * (1 + std::fabs(lb[i])));
      }
    }
  }
}

TEST_CASE("a run moves between devices through its run file: resume and sample elsewhere", "[device]") {
  const auto cuda = genlab::testing::cuda_under_test();
  if (!cuda.available) {
    WARN("2 device moves skipped on cuda: " << cuda.why_not);
    return;
  }
  // Trained on the GPU for 6 steps, resumed on the CPU to 12: the checkpoint holds host
  // values, so it loads on either device; the file says the resume was not bitwise.
  const std::string path = temp_path("device_move.h5");
  REQUIRE(run(kDiffusion, "cuda", path, {"train.steps=6"}).status == "completed");
  REQUIRE(run(kDiffusion, "cpu", path, {"train.steps=12"}, path).status == "completed");
  const auto attrs = RunFile::open(path).attrs();
  CHECK(attrs.at("device") == "cpu");
  CHECK(attrs.at("resume_bitwise") == "no: device cuda:0 -> cpu");
  CHECK(column(path, "train", "step").back() == 12);
  // And a variant added on the GPU to a run file the CPU finished.
  std::ostringstream out;
  const SummaryRow row = add_variant(path, "euler", {"steps=3", "name=euler_on_cuda"}, out, "cuda");
  CHECK(row.text.at("name") == "euler_on_cuda");
  const SummaryRow same_on_cpu = add_variant(path, "euler", {"steps=3", "name=euler_on_cpu"}, out, "cpu");
  const double tolerance = cuda.emulated ? 0.0 : 1e-3;
  for (const auto& [key, value] : same_on_cpu.numbers)
    if (key != "wall_s") CHECK(std::fabs(row.numbers.at(key) - value) <= tolerance * (1 + std::fabs(value)));
}

TEST_CASE("device: a bad value names the key, and cuda without a GPU fails before any file is written", "[device][config]") {
  try {
    parse_experiment_config(kDiffusion, "device.yaml", {"device=gpu"});
    FAIL("device=gpu was accepted");
  } catch (const std::exception& e) {
    CHECK_THAT(e.what(), Catch::Contains("device") && Catch::Contains("cpu, cuda or cuda:N"));
  }
  CHECK(parse_device("cuda:3").index == 3);
  CHECK(parse_device("cuda").str() == "cuda:0");
  CHECK_THROWS(parse_device("cuda:-1"));
  const auto cuda = genlab::testing::cuda_under_test();
  if (cuda.available) return;
  const std::string path = temp_path("device_missing.h5");
  try {
    run(kDiffusion, "cuda", path);
    FAIL("a cuda run started without a device");
  } catch (const std::exception& e) {
    CHECK_THAT(e.what(), Catch::Contains("device: cuda requested, but"));
  }
  CHECK_FALSE(std::filesystem::exists(path));
}
