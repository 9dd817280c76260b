// Data-parallel training under MPI (issue 16), run as `mpirun -np 2 genlab_mpi_tests`:
// K = 2 ranks train as one process does on the same global batch (every family), give the
// same bits run after run, resume a run checkpointed with another K, split the sampler
// variants so the table is bitwise the one-process table, and stop on diverged replicas.
// Rank 0 also runs the one-process reference (single_process()) while rank 1 waits.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "genlab/core/distributed/communicator.h"
#include "genlab/core/distributed/data_parallel.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/cli/runner.h"
#include "genlab/experiments/cli/sweep.h"
#include "tests/experiments/run_file_compare.h"

using namespace genlab;
using Catch::Matchers::Contains;

using genlab::testing::max_difference;

namespace {

const Communicator& comm() { return world(); }

// A fresh path under the temp folder, the same on every rank (rank 0 clears it).
std::string shared_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_mpi_tests";
  if (comm().rank() == 0) {
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / name);
  }
  comm().barrier();
  return (dir / name).string();
}

RunSummary run(const Communicator& with, const std::string& yaml, const std::string& path,
               std::vector<std::string> overrides = {}, const std::string& resume = "") {
  overrides.push_back("output.path=" + path);
  RunOptions o;
  o.comm = &with;
  o.resume = resume;
  o.overwrite = true;
  std::ostringstream log;
  return run_experiment(parse_experiment_config(yaml, "dp.yaml", overrides), log, o);
}

std::vector<double> losses(const std::string& path) { return RunFile::open(path).read_columns("train").at("loss"); }

const char* kDiffusion = R"(name: dp
data: {name: moons}
model: {family: diffusion, process: flow, net: {width: 32, depth: 2, embedding_dim: 16}}
train: {steps: 30, batch_size: 64, lr: 3.0e-3, log_every: 10, eval_every: 15, checkpoint_every: 10}
evaluate: {samples: 200, eval_steps: 4, rk45_reference: false}
samplers:
  - {sampler: euler, steps: 6}
)";

}  // namespace

TEST_CASE("data parallel: launched with two ranks", "[mpi]") {
  REQUIRE(built_with_mpi());
  REQUIRE(comm().kind() == "mpi");
  REQUIRE(comm().size() == 2);
}

TEST_CASE("data parallel: K = 2 trains as one process on the global batch, every family", "[mpi]") {
  struct Case {
    const char* what;
    std::string yaml;
  };
  const std::string mnist = "data: {name: fashion_mnist, validation: 200, downsample: true}\n";
  const std::vector<Case> cases = {
      {"diffusion MLP", kDiffusion},
      {"diffusion U-Net, class-conditional, label dropout and dropout",
       "name: dp\ndata: {name: fashion_mnist, binarize: none, validation: 0, downsample: true}\n"
       "model: {family: diffusion, classes: 10, label_dropout: 0.2, net: {kind: unet, channels: 4, "
       "channel_mult: [1, 2], norm_groups: 2, dropout: 0.1}}\n"
       "train: {steps: 6, batch_size: 6, log_every: 3, eval_every: 0, checkpoint_every: 3}\n"
       "evaluate: {samples: 8, eval_steps: 2, rk45_reference: false, classifier: none}\n"
       "samplers:\n  - {sampler: euler, steps: 2}\n"},
      {"MADE", "name: dp\n" + mnist +
                   "model: {family: autoregressive, arch: made, hidden: [32], samples: 2}\n"
                   "train: {steps: 20, batch_size: 31, log_every: 5, eval_every: 10, checkpoint_every: 10}\n"},
      {"Transformer with dropout", "name: dp\n" + mnist +
                                       "model: {family: autoregressive, arch: transformer, layers: 1, width: 16, "
                                       "heads: 2, dropout: 0.2, checkpoint: true, samples: 2}\n"
                                       "train: {steps: 8, batch_size: 8, lr: 3.0e-3, log_every: 4, eval_every: 0}\n"},
      {"VAE, Gaussian", "name: dp\n" + mnist +
                            "model: {family: vae, latent_dim: 4, hidden: 32, samples: 2, iwae_k: 4, iwae_examples: 20}\n"
                            "train: {steps: 20, batch_size: 32, log_every: 5, eval_every: 10}\n"},
      {"VAE, categorical, REINFORCE with baseline",
       "name: dp\n" + mnist +
           "model: {family: vae, latent: categorical, latent_dim: 3, categories: 4, hidden: 32, "
           "estimator: reinforce_baseline, samples: 2, iwae_k: 4, iwae_examples: 20}\n"
           "train: {steps: 20, batch_size: 32, log_every: 5, eval_every: 10}\n"},
      {"classifier", "name: dp\ndata: {name: fashion_mnist, binarize: none, validation: 100, downsample: true}\n"
                     "model: {family: classifier, channels: [4], features: 16}\n"
                     "train: {steps: 10, batch_size: 20, log_every: 5, eval_every: 0}\n"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string two = shared_path("families_k2.h5"), one = shared_path("families_k1.h5");
    REQUIRE(run(comm(), c.yaml, two).status == "completed");
    if (comm().rank() == 0) {
      REQUIRE(run(single_process(), c.yaml, one).status == "completed");
      CHECK(RunFile::open(two).attrs().at("world_size") == "2");
      CHECK(RunFile::open(one).attrs().at("world_size") == "1");
      // The same trajectory up to float rounding (the global batch's gradient summed in
      // two halves): weights within 1e-4, every logged loss within 1e-4 relative.
      CHECK(max_difference(two, one, "model") < 1e-4);
      const auto l2 = losses(two), l1 = losses(one);
      REQUIRE(l2.size() == l1.size());
      for (size_t i = 0; i < l1.size(); ++i) CHECK(l2[i] == Approx(l1[i]).epsilon(1e-4));
    }
    comm().barrier();
  }
}

TEST_CASE("data parallel: the comparison can fail: a rank count that changed the batch would show", "[mpi]") {
  // Control for the test above: half the global batch (what K ranks of the per-rank
  // batch would train on if the batch were per rank) moves the weights far past its tolerance.
  const std::string two = shared_path("control_k2.h5"), half = shared_path("control_half.h5");
  REQUIRE(run(comm(), kDiffusion, two).status == "completed");
  if (comm().rank() == 0) {
    REQUIRE(run(single_process(), kDiffusion, half, {"train.batch_size=32"}).status == "completed");
    CHECK(max_difference(two, half, "model") > 1e-2);
  }
  comm().barrier();
}

TEST_CASE("data parallel: K = 2 gives the same bits run after run", "[mpi]") {
  const std::string a = shared_path("repeat_a.h5"), b = shared_path("repeat_b.h5");
  REQUIRE(run(comm(), kDiffusion, a).status == "completed");
  REQUIRE(run(comm(), kDiffusion, b).status == "completed");
  if (comm().rank() == 0) {
    CHECK(max_difference(a, b, "model") == 0.0);
    CHECK(max_difference(a, b, "model/ema") == 0.0);
    CHECK(losses(a) == losses(b));
  }
  comm().barrier();
}

TEST_CASE("data parallel: a checkpoint of K ranks resumes with K, or with another K", "[mpi]") {
  const std::string straight2 = shared_path("straight_k2.h5"), straight1 = shared_path("straight_k1.h5");
  REQUIRE(run(comm(), kDiffusion, straight2).status == "completed");  // 30 steps
  if (comm().rank() == 0) REQUIRE(run(single_process(), kDiffusion, straight1).status == "completed");

  // K = 2 to step 10, then K = 2 again to 30: bitwise the straight K = 2 run.
  const std::string same = shared_path("resume_22.h5");
  REQUIRE(run(comm(), kDiffusion, same, {"train.steps=10"}).status == "completed");
  REQUIRE(run(comm(), kDiffusion, same, {}, same).status == "completed");
  // K = 2 to step 10, then one process to 30.
  const std::string down = shared_path("resume_21.h5");
  REQUIRE(run(comm(), kDiffusion, down, {"train.steps=10"}).status == "completed");
  if (comm().rank() == 0) REQUIRE(run(single_process(), kDiffusion, down, {}, down).status == "completed");
  // One process to step 10, then K = 2 to 30.
  const std::string up = shared_path("resume_12.h5");
  if (comm().rank() == 0)
    REQUIRE(run(single_process(), kDiffusion, up, {"train.steps=10"}).status == "completed");
  comm().barrier();
  REQUIRE(run(comm(), kDiffusion, up, {}, up).status == "completed");

  if (comm().rank() == 0) {
    CHECK(max_difference(same, straight2, "model") == 0.0);
    CHECK(losses(same) == losses(straight2));
    CHECK(max_difference(down, straight2, "model") < 1e-4);
    CHECK(max_difference(up, straight1, "model") < 1e-4);
    CHECK(RunFile::open(down).attrs().at("resume_bitwise") == "no: world_size 2 -> 1");
    CHECK(RunFile::open(up).attrs().at("resume_bitwise") == "no: world_size 1 -> 2");
    CHECK(RunFile::open(up).attrs().at("world_size") == "2");
    CHECK(losses(down).size() == 3);  // the rows of steps 10, 20, 30, none twice
  }
  comm().barrier();
}

TEST_CASE("data parallel: variants and evaluation split across the ranks, the table bitwise one process's",
          "[mpi]") {
  const std::string yaml = R"(name: dp
data: {name: mixture/eight_gaussians}
model: {family: analytic, process: edm}
evaluate: {samples: 301}
samplers:
  - {sampler: euler, steps: 8}
  - {sampler: heun, steps: 5}
  - {sampler: dpmpp_2m, steps: 6}
  - {sampler: edm_stochastic, steps: 8, options: {S_churn: 20}}
  - {sampler: euler_ancestral, steps: 8, noise: brownian_tree}
  - {sampler: rk45}
)";
  const std::string two = shared_path("variants_k2.h5"), one = shared_path("variants_k1.h5");
  const auto r2 = run(comm(), yaml, two);
  REQUIRE(r2.variants.size() == 6);
  if (comm().rank() == 0) {
    const auto r1 = run(single_process(), yaml, one);
    const RunFile f2 = RunFile::open(two), f1 = RunFile::open(one);
    for (size_t i = 0; i < r1.variants.size(); ++i) {
      const std::string name = r1.variants[i].text.at("name");
      INFO(name);
      auto n1 = r1.variants[i].numbers, n2 = r2.variants[i].numbers;
      n1.erase("wall_s"), n2.erase("wall_s");
      REQUIRE(n1.size() == n2.size());
      for (const auto& [key, v] : n1) {  // bitwise: every metric of the same samples
        INFO(key);
        CHECK((v == n2.at(key) || (std::isnan(v) && std::isnan(n2.at(key)))));  // steps: NaN for rk45
      }
      const auto s1 = f1.read_samples(name).to_vector(), s2 = f2.read_samples(name).to_vector();
      CHECK(s1 == s2);
    }
  }
  comm().barrier();
}

TEST_CASE("data parallel: replicas that diverge stop every rank with an error naming them", "[mpi]") {
  CHECK_NOTHROW(check_replicas_agree(comm(), 42, "step 7"));
  CHECK_THROWS_WITH(check_replicas_agree(comm(), 42 + comm().rank(), "step 7"),
                    Contains("step 7") && Contains("rank(s) 1") && Contains("diverged"));
}

TEST_CASE("data parallel: gradients summed in one message; a gradient on one rank only reaches all",
          "[mpi]") {
  Tensor a = Tensor::zeros({3}).requires_grad_(), b = Tensor::zeros({2}).requires_grad_(),
         none = Tensor::zeros({2}).requires_grad_();
  const float r = static_cast<float>(comm().rank());
  a.set_grad(Tensor::from_vector({1 + r, 2 + r, 3 + r}, {3}));
  if (comm().rank() == 1) b.set_grad(Tensor::from_vector({5, 6}, {2}));
  std::vector<double> scalars{0.25 + comm().rank()};
  allreduce_gradients(comm(), {a, b, none}, scalars);
  CHECK(a.grad().to_vector() == std::vector<float>{3, 5, 7});
  REQUIRE(b.grad().defined());
  CHECK(b.grad().to_vector() == std::vector<float>{5, 6});
  CHECK_FALSE(none.grad().defined());  // as in one process: no gradient, no update
  CHECK(scalars[0] == 1.5);
}

TEST_CASE("sweeps under mpirun: points spread over the ranks, the files and index of one process", "[mpi]") {
  const std::string yaml = kDiffusion;
  const std::string cfg = shared_path("sweep.yaml");
  if (comm().rank() == 0) {
    std::ofstream(cfg) << yaml;
  }
  comm().barrier();
  const std::string stem = shared_path("sweep_k2.h5"), solo = shared_path("sweep_k1.h5");
  const std::vector<std::string> overrides{"train.steps=10", "train.lr=1e-3,2e-3,4e-3", "output.path=" + stem};
  std::ostringstream log;
  SweepOptions o{.overwrite = true};
  const std::string index = run_sweep(cfg, overrides, log, o);
  if (comm().rank() == 0) {
    std::vector<std::string> solo_overrides = overrides;
    solo_overrides.back() = "output.path=" + solo;
    SweepOptions one{.overwrite = true, .comm = &single_process()};
    const std::string solo_index = run_sweep(cfg, solo_overrides, log, one);
    std::ifstream in(index);
    std::vector<std::string> rows;
    for (std::string line; std::getline(in, line);) rows.push_back(line);
    REQUIRE(rows.size() == 3);
    CHECK_THAT(rows[1], Contains("sweep_k2_001.h5") && Contains("train.lr=2e-3"));
    std::vector<std::string> pids;
    for (int i = 0; i < 3; ++i) {
      const std::string mine = stem.substr(0, stem.size() - 3) + "_00" + std::to_string(i) + ".h5";
      const std::string theirs = solo.substr(0, solo.size() - 3) + "_00" + std::to_string(i) + ".h5";
      const auto attrs = RunFile::open(mine).attrs();
      CHECK(attrs.at("status") == "completed");
      CHECK(attrs.at("world_size") == "1");  // each point is one process
      pids.push_back(attrs.at("pid"));
      CHECK(max_difference(mine, theirs, "model") == 0.0);  // as a one-process sweep, bitwise
    }
    CHECK(pids[0] == pids[2]);  // points 0 and 2 on rank 0, point 1 on rank 1
    CHECK(pids[0] != pids[1]);
  }
  comm().barrier();
}

TEST_CASE("data parallel: ranks given different configs all stop first, naming the keys", "[mpi]") {
  // Rank 1 with another learning rate: before anything collective or written, every rank
  // stops with the same message naming the key and both values (the replica check, a
  // test above, remains for what no config shows).
  const std::string path = shared_path("differ.h5");
  if (comm().rank() == 0) std::filesystem::remove(path);
  comm().barrier();
  const std::string lr = comm().rank() == 0 ? "train.lr=1e-3" : "train.lr=2e-3";
  CHECK_THROWS_WITH(run(comm(), kDiffusion, path, {lr}),
                    Contains("different configs") && Contains("rank 1: train.lr: 0.002 (rank 0: 0.001)"));
  CHECK(!std::filesystem::exists(path));
  comm().barrier();
}

TEST_CASE("data parallel: a trained network's variants, split across the ranks, are bitwise one process's",
          "[mpi]") {
  // The samples of a K = 2 run's variant (384 rows on rank 0, 116 on rank 1) against the
  // same variant sampled again by one process from the stored EMA weights (`genlab sample`;
  // deterministic samplers, since a stochastic one draws its noise by the variant's name):
  // GEMM and the vector kernels must treat every row as in one batch.
  const std::string path = shared_path("network_variants.h5");
  const std::string yaml = std::string(kDiffusion) + "  - {sampler: dpmpp_2m, steps: 5}\n";
  REQUIRE(run(comm(), yaml, path, {"evaluate.samples=500"}).status == "completed");
  if (comm().rank() == 0) {
    std::ostringstream log;
    add_variant(path, "euler", {"steps=6", "name=euler-again"}, log);
    add_variant(path, "dpmpp_2m", {"steps=5", "name=dpmpp-again"}, log);
    const RunFile f = RunFile::open(path);
    CHECK(f.read_samples("euler-6").to_vector() == f.read_samples("euler-again").to_vector());
    CHECK(f.read_samples("dpmpp_2m-5").to_vector() == f.read_samples("dpmpp-again").to_vector());
  }
  comm().barrier();
}
