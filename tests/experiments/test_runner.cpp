// The runner end to end on tiny configs: the run file holds every group and attribute of
// the contract, variants share their initial noise, the analytic family gets its exact
// metrics, and Ctrl-C leaves a readable file marked "interrupted".
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/ops.h"
#include "experiments/config/experiment_config.h"
#include "experiments/runner.h"

using namespace genlab;

namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_tests";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

const char* kTiny = R"(name: tiny
data: {name: moons}
model: {family: diffusion, process: flow, net: {width: 32, depth: 2, embedding_dim: 16}}
train: {steps: 40, batch_size: 64, log_every: 10, eval_every: 20}
evaluate: {samples: 300, eval_steps: 5}
samplers:
  - {sampler: euler, steps: 8}
  - {sampler: euler_ancestral, steps: 8, options: {eta: 0}}
  - {sampler: ddim, steps: 8}
)";

}  // namespace

TEST_CASE("runner: a tiny diffusion run writes the whole contract", "[runner]") {
  const std::string path = temp_path("tiny.h5");
  std::ostringstream log;
  const auto summary =
      run_experiment(parse_experiment_config(kTiny, "tiny.yaml", {"output.path=" + path}), log);
  CHECK(summary.status == "completed");
  const RunFile f = RunFile::open(path);
  const auto attrs = f.attrs();
  for (const char* k : {"genlab_version", "git_commit", "created_utc", "host", "seed", "threads",
                        "status", "config_yaml"})
    CHECK(attrs.count(k) == 1);
  CHECK(attrs.at("status") == "completed");
  // The stored config is the resolved one and reads back to the same run.
  CHECK(to_yaml(parse_experiment_config(attrs.at("config_yaml"), "stored")) ==
        attrs.at("config_yaml"));
  const auto train = f.read_columns("train");
  CHECK(train.at("step") == std::vector<double>{10, 20, 30, 40});
  for (const char* k : {"loss", "lr", "grad_norm", "wall_s"}) CHECK(train.at(k).size() == 4);
  CHECK(f.read_columns("eval").at("step") == std::vector<double>{20, 40});
  CHECK(f.read_tensors("model").count("net.mlp.layers.0.weight") == 1);
  CHECK(f.read_tensors("model/ema").count("net.mlp.layers.0.weight") == 1);
  const auto rows = f.read_summary();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].text.at("name") == "euler-8");
  CHECK(rows[1].numbers.at("nfe") == 8);
  for (const char* k : {"sliced_wasserstein", "mmd", "energy", "wall_s", "steps"})
    CHECK(rows[2].numbers.count(k) == 1);
  // Same initial noise for every variant: ancestral with eta = 0 is DDIM exactly.
  CHECK(max(abs(f.read_samples("ddim-8") - f.read_samples("euler_ancestral-8")), {}).item() ==
        0.0f);
  CHECK(f.read_samples("euler-8").shape() == Shape{300, 2});
  // The printed table shows the same numbers as the file.
  CHECK_THAT(log.str(), Catch::Matchers::Contains(format_variants_table(rows)));
}

TEST_CASE("runner: the analytic family gets exact metrics and no training", "[runner]") {
  const std::string path = temp_path("analytic.h5");
  std::ostringstream log;
  const auto summary = run_experiment(
      parse_experiment_config(
          "name: a\ndata: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\n"
          "evaluate: {samples: 400}\nsamplers: [{sampler: heun, steps: 18}, {sampler: euler, "
          "steps: 5}]\n",
          "a.yaml", {"output.path=" + path}),
      log);
  const auto rows = RunFile::open(path).read_summary();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].numbers.at("rk45_distance") < 0.05);
  CHECK(rows[1].numbers.at("rk45_distance") > rows[0].numbers.at("rk45_distance"));
  CHECK(rows[0].numbers.count("exact_log_density") == 1);
  CHECK_FALSE(RunFile::open(path).exists("/train"));
}

TEST_CASE("runner: Ctrl-C leaves a readable file marked interrupted", "[runner]") {
  const std::string path = temp_path("interrupted.h5");
  std::ostringstream log;
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::raise(SIGINT);
  });
  const auto summary = run_experiment(
      parse_experiment_config(kTiny, "tiny.yaml", {"output.path=" + path, "train.steps=10000000"}),
      log);
  interrupter.join();
  CHECK(summary.status == "interrupted");
  const RunFile f = RunFile::open(path);
  CHECK(f.attrs().at("status") == "interrupted");
  CHECK(f.read_columns("train").at("step").size() >= 1);
}

TEST_CASE("genlab sample adds a variant and touches nothing else", "[runner]") {
  const std::string path = temp_path("sample.h5");
  std::ostringstream log;
  run_experiment(parse_experiment_config(kTiny, "tiny.yaml", {"output.path=" + path}), log);
  RunFile f = RunFile::open(path);
  const auto model_before = f.read_tensors("model/ema");
  const auto train_before = f.read_columns("train");
  const Tensor euler_before = f.read_samples("euler-8");
  const auto row = add_variant(path, parse_sampler_variant("euler", {"steps=8", "name=again"}), log);
  CHECK(row.numbers.at("nfe") == 8);
  const auto rows = f.read_summary();
  REQUIRE(rows.size() == 4);
  CHECK(rows[3].text.at("name") == "again");
  // The reloaded EMA model and the run's noise reproduce the original variant exactly.
  CHECK(max(abs(f.read_samples("again") - euler_before), {}).item() == 0.0f);
  CHECK(max(abs(f.read_samples("euler-8") - euler_before), {}).item() == 0.0f);
  CHECK(f.read_columns("train") == train_before);
  for (const auto& [name, t] : f.read_tensors("model/ema"))
    CHECK(max(abs(t - model_before.at(name)), {}).item() == 0.0f);
  CHECK(f.attrs().at("status") == "completed");
  CHECK_THROWS_WITH(add_variant(path, parse_sampler_variant("euler", {"name=again"}), log),
                    Catch::Matchers::Contains("exists already"));
  CHECK_THROWS_WITH(parse_sampler_variant("heun", {"eta=1"}), Catch::Matchers::Contains("has no option 'eta'"));
}
