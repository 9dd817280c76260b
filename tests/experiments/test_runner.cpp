// The runner end to end on tiny configs: the run file holds every group and attribute of
// the contract, variants share their initial noise, the analytic family gets its exact
// metrics, and Ctrl-C leaves a readable file marked "interrupted".
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "genlab/core/ops.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/data/batches.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/experiments/child_runs.h"
#include "tests/experiments/temp_paths.h"
#include "genlab/experiments/cli/sweep.h"
#include "genlab/experiments/cli/thread_choice.h"
#include "genlab/models/analytic/gaussian_mixture.h"

using namespace genlab;

namespace {

using genlab::testing::temp_path;

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
          "evaluate: {samples: 400, likelihood: true, likelihood_samples: 64, likelihood_trace: "
          "exact}\nsamplers: [{sampler: heun, steps: 18}, {sampler: euler, "
          "steps: 5}]\n",
          "a.yaml", {"output.path=" + path}),
      log);
  const auto rows = RunFile::open(path).read_summary();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].numbers.at("rk45_distance") < 0.05);
  CHECK(rows[1].numbers.at("rk45_distance") > rows[0].numbers.at("rk45_distance"));
  CHECK(rows[0].numbers.count("exact_log_density") == 1);
  CHECK_FALSE(RunFile::open(path).exists("/train"));
  // evaluate.likelihood: the PF-ODE NLL of the held-out points equals their exact density.
  Generator held_out = Generator(0).derive("held_out");
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor x0 = gm.sample(64, held_out);
  const double exact = -mean(gm.log_density(x0, Tensor::full({64}, 1e-3f))).item();
  CHECK(RunFile::open(path).read_columns("likelihood").at("nll_nats").at(0) ==
        Approx(exact).margin(2e-3));
  CHECK(RunFile::open(path).read_columns("likelihood").at("exact_nll_nats").at(0) ==
        Approx(exact).epsilon(1e-6));
  // Per point, for checks from outside: the points, their NLL and their exact log-density.
  const auto points = RunFile::open(path).read_tensors("likelihood_points");
  CHECK(max(abs(points.at("x") - x0), {}).item() == 0.0f);
  const auto nll = points.at("nll_nats").to_vector(),
             log_density = points.at("exact_log_density").to_vector();
  REQUIRE(nll.size() == 64);
  for (size_t i = 0; i < nll.size(); ++i) CHECK(nll[i] == Approx(-log_density[i]).margin(0.02));
  // model.sigma_data defaults to the mixture's own scale, and is honoured when given.
  CHECK_THAT(RunFile::open(path).attrs().at("config_yaml"), Catch::Matchers::Contains("sigma_data: 0"));
}

namespace {

// Runs `c` (writing c.output.path) and raises SIGINT `after_ms` once the run file exists:
// on a loaded machine a fixed delay from the start could land before the run arms its
// handler, and kill the test.
RunSummary run_with_ctrl_c(const ExperimentConfig& c, int after_ms, std::ostream& log) {
  const std::string path = c.output.path;
  std::filesystem::remove(path);
  std::thread interrupter([&path, after_ms] {
    for (int i = 0; i < 6000 && !std::filesystem::exists(path); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    std::raise(SIGINT);
  });
  try {
    const RunSummary summary = run_experiment(c, log);
    interrupter.join();
    return summary;
  } catch (...) {
    interrupter.join();
    throw;
  }
}

}  // namespace

TEST_CASE("runner: Ctrl-C leaves a readable file marked interrupted", "[runner]") {
  const std::string path = temp_path("interrupted.h5");
  std::ostringstream log;
  const RunSummary summary = run_with_ctrl_c(
      parse_experiment_config(kTiny, "tiny.yaml", {"output.path=" + path, "train.steps=10000000"}), 300, log);
  CHECK(summary.status == "interrupted");
  const RunFile f = RunFile::open(path);
  CHECK(f.attrs().at("status") == "interrupted");
  CHECK(f.read_columns("train").at("step").size() >= 1);
}

TEST_CASE("runner: Ctrl-C inside a periodic evaluation keeps the step, and --resume evaluates it", "[runner]") {
  // Evaluations of 400 heun steps take nearly all of the run's time, so the signal lands
  // in one (it stopped the run as failed, "stopped by a signal while sampling", before).
  const std::string path = temp_path("interrupted_eval.h5"), whole = temp_path("uninterrupted_eval.h5");
  const std::vector<std::string> o{"train.steps=6", "train.eval_every=2", "train.log_every=1",
                                   "train.checkpoint_every=1", "evaluate.samples=1000", "evaluate.eval_steps=400"};
  auto with = [&o](const std::string& out) {
    auto all = o;
    all.push_back("output.path=" + out);
    return parse_experiment_config(kTiny, "tiny.yaml", all);
  };
  std::ostringstream log;
  CHECK(run_with_ctrl_c(with(path), 100, log).status == "interrupted");
  CHECK(RunFile::open(path).attrs().at("status") == "interrupted");
  RunOptions resume;
  resume.resume = path;
  CHECK(run_experiment(with(path), log, resume).status == "completed");
  std::filesystem::remove(whole);
  run_experiment(with(whole), log);
  genlab::testing::check_same_run(whole, path);
  const auto ea = RunFile::open(whole).read_columns("eval"), eb = RunFile::open(path).read_columns("eval");
  CHECK(ea.at("step") == eb.at("step"));
  CHECK(ea.at("sliced_wasserstein") == eb.at("sliced_wasserstein"));
}

TEST_CASE("genlab sample adds a variant and touches nothing else", "[runner]") {
  const std::string path = temp_path("sample.h5");
  std::ostringstream log;
  run_experiment(parse_experiment_config(kTiny, "tiny.yaml", {"output.path=" + path}), log);
  RunFile f = RunFile::open(path);
  const auto model_before = f.read_tensors("model/ema");
  const auto train_before = f.read_columns("train");
  const Tensor euler_before = f.read_samples("euler-8");
  const auto row =
      add_variant(path, "euler", {"steps=8", "name=again"}, log);
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
  CHECK_THROWS_WITH(add_variant(path, "euler", {"name=again"}, log),
                    Catch::Matchers::Contains("exists already"));
  CHECK_THROWS_WITH(add_variant(path, "heun", {"eta=1"}, log),
                    Catch::Matchers::Contains("unknown setting 'eta'") &&
                        Catch::Matchers::Contains("sampler 'heun' options: none"));
  // A misspelt setting gets the closest name, a variant's key or the sampler's option.
  CHECK_THROWS_WITH(add_variant(path, "heun", {"stpes=10"}, log),
                    Catch::Matchers::Contains("did you mean 'steps'?"));
  CHECK_THROWS_WITH(add_variant(path, "dpmpp_sde", {"et=1"}, log),
                    Catch::Matchers::Contains("did you mean 'eta'?"));
}

namespace {

// Runs `genlab run CFG OVERRIDES` as a child process and kills it outright (SIGKILL) once
// its checkpoint has reached `after` steps; returns the checkpoint step it saw. With
// `exact`, the child kills itself right after that checkpoint (between two writes)
// instead of at a moment the timer picks.
int64_t run_and_kill(const std::string& cfg, const std::vector<std::string>& overrides,
                     const std::string& path, int64_t after, bool exact = false) {
  std::filesystem::remove(path);
  std::vector<std::string> args{GENLAB_BINARY, "run", cfg};
  for (const auto& o : overrides) args.push_back(o);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);
  if (exact) env_strings.push_back("GENLAB_TEST_SIGKILL_AFTER_CHECKPOINT=" + std::to_string(after));
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  REQUIRE(posix_spawn(&pid, GENLAB_BINARY, &actions, nullptr, argv.data(), env.data()) == 0);
  posix_spawn_file_actions_destroy(&actions);
  int64_t seen = 0;
  for (int i = 0; i < 6000 && seen < after && !exact; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    try {
      const auto a = RunFile::open(path).group_attrs("checkpoint");
      if (a.count("step")) seen = std::stoll(a.at("step"));
    } catch (const std::exception&) {  // not created yet, or caught mid-write
    }
  }
  if (!exact) kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  REQUIRE(WIFSIGNALED(wstatus));
  REQUIRE(WTERMSIG(wstatus) == SIGKILL);
  if (exact) seen = std::stoll(RunFile::open(path).group_attrs("checkpoint").at("step"));
  REQUIRE(seen >= after);
  // The killed file opens and says it did not complete.
  CHECK(RunFile::open(path).attrs().at("status") == "running");
  CHECK_THAT(effective_status(RunFile::open(path).attrs()),
             Catch::Matchers::StartsWith("interrupted"));
  return seen;
}

using genlab::testing::check_same_run;

std::string write_config(const std::string& name, const std::string& yaml) {
  const std::string cfg = temp_path(name);
  std::ofstream out(cfg);
  out << yaml;
  return cfg;
}

}  // namespace

TEST_CASE("SIGKILL midway, then --resume: the final model equals an uninterrupted run's",
          "[runner][resume]") {
  const std::string cfg = write_config("resume.yaml", kTiny);
  const std::vector<std::string> common{"train.steps=6000", "train.checkpoint_every=100",
                                        "train.eval_every=1000", "train.log_every=50"};
  auto overrides = [&](const std::string& path) {
    auto o = common;
    o.push_back("output.path=" + path);
    return o;
  };
  // The uninterrupted reference, in this process; the same run killed after step 300.
  const std::string ref = temp_path("resume_ref.h5"), killed = temp_path("resume_killed.h5");
  std::ostringstream log;
  run_experiment(load_experiment_config(cfg, overrides(ref)), log);
  run_and_kill(cfg, overrides(killed), killed, 300);
  CHECK(RunFile::open(killed).read_columns("train").at("step").back() < 6000);

  const auto summary = run_experiment(load_experiment_config(cfg, overrides(killed)), log, killed);
  CHECK(summary.status == "completed");
  check_same_run(ref, killed);
  const RunFile a = RunFile::open(ref), b = RunFile::open(killed);
  CHECK(a.read_columns("eval").at("sliced_wasserstein") ==
        b.read_columns("eval").at("sliced_wasserstein"));
  CHECK(max(abs(a.read_samples("euler-8") - b.read_samples("euler-8")), {}).item() == 0.0f);
}

TEST_CASE("epochs: permutations without replacement, and SIGKILL mid-epoch resumes bitwise",
          "[runner][resume][epochs]") {
  // 50 images of 8 x 8 (40 train, 10 validation), batches of 16: 3 per epoch, the last
  // one of 8 kept. Checkpoints every 7 steps and rows every 5 fall mid-epoch and
  // mid-window, and dynamic binarization draws anew each epoch.
  const std::string images = temp_path("epoch_images.h5");
  RunFile::create(images, {}, "").write_tensors("data", {{"images", Generator(3).uniform({50, 8, 8})}});
  const std::string yaml = "name: ep\ndata: {name: hdf5, path: " + images +
                           ", hdf5_dataset: data/images, validation: 10, binarize: dynamic}\n"
                           "model: {family: autoregressive, arch: made, hidden: [32], samples: 2}\n"
                           "train: {epochs: 3000, batch_size: 16, log_every: 5, eval_every: 0,\n"
                           "        checkpoint_every: 7}\n";
  const std::string cfg = write_config("epochs.yaml", yaml);
  const std::string ref = temp_path("epochs_ref.h5"), killed = temp_path("epochs_killed.h5");
  std::ostringstream log;
  const ExperimentConfig c = load_experiment_config(cfg, {"output.path=" + ref});
  REQUIRE(run_experiment(c, log).status == "completed");
  const auto train = RunFile::open(ref).read_columns("train");
  CHECK(train.at("step").back() == 9000);  // 3000 epochs x 3 batches
  CHECK(train.at("epoch").front() == 1);   // step 5 is in the second epoch (0-based 1)
  CHECK(train.at("epoch").back() == 2999);
  // The batches of one epoch cover the 40 training examples once each.
  const auto data = make_dataset(c.data, c.seed);
  BatchStream batches(*data, 16, false, Generator(c.seed).derive("epochs"));
  Generator unused(0);
  CHECK(batches.batches_per_epoch() == 3);
  CHECK(batches.batch(2, unused).x.size(0) == 8);
  CHECK(BatchStream(*data, 16, true, Generator(1)).batches_per_epoch() == 2);

  // Killed right after its checkpoint at step 707: mid-epoch (707 = 235 x 3 + 2) and
  // mid-window (707 = 141 x 5 + 2). Exact, since a timer's kill can land inside one of
  // writes this frequent (see the note in docs/DESIGN.md on killing a writer).
  CHECK(run_and_kill(cfg, {"output.path=" + killed}, killed, 707, true) == 707);
  REQUIRE(run_experiment(load_experiment_config(cfg, {"output.path=" + killed}), log, killed)
              .status == "completed");
  check_same_run(ref, killed);
  CHECK(RunFile::open(ref).read_tensors("samples").at("images").shape() == Shape{2, 8, 8});
}

TEST_CASE("sweeps: Cartesian product, one run file per point, an index", "[runner]") {
  const auto points = expand_sweep({"a=1,2", "b=x,y,z"});
  REQUIRE(points.size() == 6);
  CHECK(points[0] == std::vector<std::string>{"a=1", "b=x"});
  CHECK(points[5] == std::vector<std::string>{"a=2", "b=z"});
  CHECK_THROWS(expand_sweep({"a="}));
  const std::string cfg = temp_path("sweep.yaml");
  {
    std::ofstream out(cfg);
    out << "name: s\ndata: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\n"
           "evaluate: {samples: 200}\nsamplers: [{sampler: euler, steps: 5}]\n";
  }
  std::ostringstream log;
  for (const char* f : {"sweep_000.h5", "sweep_001.h5", "sweep_index.tsv"}) temp_path(f);
  const std::string index = run_sweep(
      cfg, {"output.path=" + temp_path("sweep.h5"), "samplers.0.steps=5", "seed=1,2"}, log);
  std::ifstream in(index);
  std::string line1, line2, extra;
  std::getline(in, line1), std::getline(in, line2);
  CHECK(line1 ==
        "sweep_000.h5\toutput.path=" + temp_path("sweep.h5") + "\tsamplers.0.steps=5\tseed=1");
  CHECK(line2.rfind("sweep_001.h5\t", 0) == 0);
  CHECK_FALSE(std::getline(in, extra));
  const auto dir = std::filesystem::path(index).parent_path();
  CHECK(RunFile::open((dir / "sweep_001.h5").string()).attrs().at("seed") == "2");
  // A bad value anywhere in the sweep fails before anything runs.
  CHECK_THROWS_WITH(run_sweep(cfg, {"output.path=" + temp_path("bad.h5"), "seed=1,x"}, log),
                    Catch::Matchers::Contains("seed"));
  CHECK_FALSE(std::filesystem::exists(temp_path("bad_000.h5")));
  // A second sweep never writes over the first: refused on an explicit path, its own
  // folder (with an index) without one.
  CHECK_THROWS_WITH(run_sweep(cfg, {"output.path=" + temp_path("sweep.h5"), "seed=1,2"}, log),
                    Catch::Matchers::Contains("an earlier sweep wrote there"));
  const std::string folder = (dir / "sweeps").string();
  std::filesystem::remove_all(folder);
  const std::string a = run_sweep(cfg, {"output.folder=" + folder, "seed=1,2"}, log);
  const std::string b = run_sweep(cfg, {"output.folder=" + folder, "seed=1,2"}, log);
  CHECK(a != b);
  CHECK(std::filesystem::path(a).parent_path().parent_path() == std::filesystem::path(folder) / "s");
  std::ifstream ia(a);
  std::getline(ia, line1);
  CHECK(line1 == "000/run.h5\toutput.folder=" + folder + "\tseed=1");
  CHECK(RunFile::open((std::filesystem::path(a).parent_path() / "001/run.h5").string())
            .attrs()
            .at("seed") == "2");
}

TEST_CASE("a run that fails is marked failed with its error, and compare reads two runs",
          "[runner]") {
  const std::string path = temp_path("failed.h5");
  std::ostringstream log;
  const std::string cfg =
      "name: f\ndata: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\nevaluate: "
      "{samples: 200}\n"
      "samplers: [{sampler: euler, steps: 5}, {sampler: rk45, options: {max_steps: 3}}]\n";
  CHECK_THROWS_WITH(
      run_experiment(parse_experiment_config(cfg, "f.yaml", {"output.path=" + path}), log),
      Catch::Matchers::Contains("more than 3 steps"));
  const RunFile f = RunFile::open(path);
  CHECK(f.attrs().at("status") == "failed");
  CHECK_THAT(f.attrs().at("error"), Catch::Matchers::Contains("more than 3 steps"));
  CHECK(f.read_summary().size() == 1);  // what was done before the failure is kept

  const std::string ok = temp_path("ok.h5");
  run_experiment(parse_experiment_config(
                     cfg, "f.yaml", {"output.path=" + ok, "samplers.1.options.max_steps=100000"}),
                 log);
  const std::string table = compare_runs({path, ok}, false, "nfe");
  CHECK_THAT(table, Catch::Matchers::StartsWith("run"));
  // The header, three variants, then (after a blank line) one verdict per metric with
  // intervals in at least two rows.
  const std::string rows_part = table.substr(0, table.find("\n\n") + 1);
  CHECK(std::count(rows_part.begin(), rows_part.end(), '\n') == 1 + 3);
  CHECK_THAT(table, Catch::Matchers::Contains("\nsliced_wasserstein: best "));
  const std::string csv = compare_runs({path, ok}, true);
  // The runs' identity and the swept key as columns, then the variant's.
  CHECK_THAT(csv, Catch::Matchers::StartsWith(
                      "run,family,data,process,seed,samplers[1].options.max_steps,name,"));
  CHECK_THAT(csv, Catch::Matchers::Contains(
                      path + ",analytic,mixture/eight_gaussians,edm,0,3,euler-5,euler,edm,5,5,"));
  CHECK_THAT(csv, Catch::Matchers::Contains(",100000,euler-5,"));
  CHECK_THAT(csv, Catch::Matchers::EndsWith("\r\n"));  // RFC 4180 line ends
  // An unknown sort column is an error naming the columns.
  CHECK_THROWS_WITH(compare_runs({path, ok}, false, "sliced_wasserstien"),
                    Catch::Matchers::Contains("--sort: no number column 'sliced_wasserstien'"));
  // RFC 4180: a cell with a comma or a quote is quoted, quotes doubled.
  SummaryRow odd;
  odd.text = {{"name", "a,\"b\""}, {"sampler", "heun"}, {"grid", "edm"}};
  odd.numbers = {{"nfe", 3}};
  CHECK_THAT(format_variants_table({odd}, true), Catch::Matchers::Contains("\"a,\"\"b\"\"\",heun"));
}

TEST_CASE("runner: the autoregressive family on down-sampled Fashion-MNIST",
          "[runner][autoregressive]") {
  const std::string path = temp_path("made.h5");
  std::ostringstream log;
  const auto summary = run_experiment(
      parse_experiment_config(
          "name: m\ndata: {name: fashion_mnist, validation: 1000, downsample: true}\n"
          "model: {family: autoregressive, arch: made, hidden: [64], ordering: random, "
          "num_masks: 2, ensemble: 2, samples: 8}\n"
          "train: {steps: 60, batch_size: 50, log_every: 20, eval_every: 30, checkpoint_every: "
          "20}\n",
          "m.yaml", {"output.path=" + path}),
      log);
  CHECK(summary.status == "completed");
  const RunFile f = RunFile::open(path);
  const auto eval = f.read_columns("eval");
  CHECK(eval.at("step") == std::vector<double>{30, 60});
  CHECK(eval.at("validation_nll").back() < eval.at("validation_nll").front());
  const auto test = f.read_columns("test");
  CHECK(test.at("nll_nats").at(0) > 10);
  CHECK(test.at("nll_nats").at(0) < 196 * std::log(2.0));  // better than a fair coin per pixel
  CHECK(test.at("ensemble").at(0) == 2);
  CHECK(f.read_tensors("samples").at("images").shape() == Shape{8, 14, 14});
  CHECK(f.read_tensors("model").count("output.weight") == 1);
  CHECK(f.read_summary().empty());
  // The diffusion-only `samplers:` list is refused for this family by `genlab sample`.
  CHECK_THROWS_WITH(add_variant(path, "heun", {}, log),
                    Catch::Matchers::Contains("no sampler"));
  // compare shows such a run's headline results (its /test row), not an empty table.
  const std::string table = compare_runs({path}, true);
  CHECK_THAT(table, Catch::Matchers::Contains("nll_nats"));
  CHECK_THAT(table, Catch::Matchers::Contains(",autoregressive,fashion_mnist,"));
}

TEST_CASE("runner: the vae family writes bounds, samples, reconstructions and the study",
          "[runner][vae]") {
  const std::string path = temp_path("vae.h5");
  std::ostringstream log;
  const std::string yaml =
      "name: v\ndata: {name: fashion_mnist, validation: 1000, downsample: true}\n"
      "model: {family: vae, latent: categorical, latent_dim: 4, categories: 5, hidden: 32,\n"
      "        estimator: reinforce_baseline, samples: 6, reconstructions: 3, iwae_k: 50,\n"
      "        iwae_examples: 100, estimator_study: {enabled: true, repeats: 20,\n"
      "        reference_samples: 200, batch: 4}}\n"
      "train: {steps: 60, batch_size: 50, log_every: 20, eval_every: 30, checkpoint_every: 20}\n";
  const auto summary =
      run_experiment(parse_experiment_config(yaml, "v.yaml", {"output.path=" + path}), log);
  CHECK(summary.status == "completed");
  const RunFile f = RunFile::open(path);
  CHECK(f.read_columns("eval").at("validation_neg_elbo").size() == 2);
  const auto test = f.read_columns("test");
  // IWAE_k >= ELBO, so its NLL is the smaller, and both beat a fair coin per pixel.
  CHECK(test.at("nll_nats").at(0) <= test.at("neg_elbo_nats").at(0) + 0.5);
  CHECK(test.at("neg_elbo_nats").at(0) < 196 * std::log(2.0));
  CHECK(test.at("iwae_k").at(0) == 50);
  CHECK(test.at("iwae_examples").at(0) == 100);
  const auto images = f.read_tensors("samples");
  CHECK(images.at("images").shape() == Shape{6, 14, 14});
  CHECK(images.at("reconstructions").shape() == Shape{3, 14, 14});
  CHECK(images.at("originals").shape() == Shape{3, 14, 14});
  const auto study = f.read_table("estimators/table");
  REQUIRE(study.size() == 4);  // gumbel_soft, gumbel_st, reinforce, reinforce_baseline
  CHECK(study[0].text.at("estimator") == "gumbel_soft");
  CHECK(std::isfinite(study[3].numbers.at("variance")));
  CHECK(f.group_attrs("estimators").at("repeats") == "20");
  CHECK(f.group_attrs("checkpoint").at("step") == "60");
}

TEST_CASE("vae family: a checkpoint's state continues training exactly (resume)",
          "[runner][vae]") {
  // Adam's slots, the step count (tau annealing, KL warm-up) and REINFORCE's baseline
  // must all travel: a family restored from another's state takes bitwise the same steps.
  const ExperimentConfig c = parse_experiment_config(
      "data: {name: moons}\n"
      "model: {family: vae, latent: categorical, latent_dim: 3, categories: 4, hidden: 16,\n"
      "        estimator: reinforce_baseline, tau_rate: 0.01, kl_warmup_steps: 30}\n",
      "r.yaml");
  const auto data = make_dataset(c.data, c.seed);
  const FamilySpec& vae = find_family("vae");
  auto a = vae.make({c.model, c.train, c.data, "", *data, Generator(1)}),
       b = vae.make({c.model, c.train, c.data, "", *data, Generator(2)});
  Generator batches(3), noise(4);
  for (int i = 0; i < 10; ++i) a->train_step({data->draw(64, batches)}, noise, 1e-3f);
  b->load(a->save());
  CHECK(b->save().attrs == a->save().attrs);
  for (int i = 0; i < 10; ++i) {
    const Tensor x = data->draw(64, batches);
    Generator na = noise, nb = noise;
    const auto sa = a->train_step({x}, na, 1e-3f), sb = b->train_step({x}, nb, 1e-3f);
    noise = na;
    CHECK(sa.loss == sb.loss);
  }
  const auto wa = a->weights(), wb = b->weights();
  for (const auto& [name, t] : wa) CHECK(max(abs(t - wb.at(name)), {}).item() == 0.0f);
}

TEST_CASE("runner: diffusion on gray-level Fashion-MNIST with the U-Net, end to end",
          "[runner][unet]") {
  const std::string path = temp_path("unet.h5");
  std::ostringstream log;
  const auto summary = run_experiment(
      parse_experiment_config(
          "name: u\ndata: {name: fashion_mnist, binarize: none, validation: 1000, downsample: true}\n"
          "model: {family: diffusion, process: edm, net: {kind: unet, channels: 4, channel_mult: "
          "[1, 2], attention_resolutions: [7], norm_groups: 2, embedding_dim: 8, dropout: 0.1}}\n"
          "train: {steps: 6, batch_size: 8, log_every: 3, eval_every: 0, checkpoint_every: 3}\n"
          "evaluate: {samples: 24, eval_steps: 2}\n"
          "samplers: [{sampler: euler, steps: 2}]\n",
          "u.yaml", {"output.path=" + path}),
      log);
  CHECK(summary.status == "completed");
  CHECK_THAT(log.str(), Catch::Matchers::Contains("diffusion (edm, "));
  const RunFile f = RunFile::open(path);
  // The U-Net's weights under model.net (a residual block's convolution, the attention).
  const auto model = f.read_tensors("model");
  CHECK(model.count("net.stages.0.conv1.weight") == 1);
  CHECK(model.count("net.output.weight") == 1);
  // Trained values: every tensor of /model but the sinusoidal embedding's fixed frequencies.
  int64_t parameters = 0;
  for (const auto& [name, t] : model)
    if (name.rfind("net.embedding.", 0) != 0) parameters += t.numel();
  CHECK(f.attrs().at("parameters") == std::to_string(parameters));
  CHECK_THAT(log.str(), Catch::Matchers::Contains(std::to_string(parameters) + " parameters"));
  const Tensor samples = f.read_tensors("variants/euler-2").at("samples");
  CHECK(samples.shape() == Shape{24, 1, 14, 14});  // images: [n, C, H, W]
  for (float v : samples.to_vector()) REQUIRE(std::isfinite(v));
}

TEST_CASE("image data for diffusion: gray levels in [-1, 1] for every set", "[runner][unet]") {
  DataConfig c = parse_experiment_config(
                     "data: {name: fashion_mnist, binarize: none, validation: 100, downsample: true}\n",
                     "d.yaml", {})
                     .data;
  const auto data = make_dataset(c, 0);
  const auto batch = data->gather({0, 1, 2}, 0).to_vector();
  const auto test = data->test().to_vector();
  bool gray = false, in_range = true;
  for (const auto* v : {&batch, &test})
    for (float x : *v) {
      in_range = in_range && x >= -1.0f && x <= 1.0f;
      gray = gray || (x > -0.99f && x < 0.99f);
    }
  CHECK(in_range);
  CHECK(gray);  // not binarized
}

TEST_CASE("runner: the Transformer in the autoregressive family, with a checkpoint resume",
          "[runner][autoregressive][transformer]") {
  const std::string path = temp_path("transformer.h5");
  std::ostringstream log;
  const std::string yaml =
      "name: t\ndata: {name: fashion_mnist, validation: 500, downsample: true}\n"
      "model: {family: autoregressive, arch: transformer, layers: 1, width: 16, heads: 2, "
      "mlp: swiglu, norm: rmsnorm, ordering: random, samples: 4}\n"
      "train: {steps: 30, batch_size: 16, lr: 3.0e-3, log_every: 10, eval_every: 15, checkpoint_every: 10}\n";
  const auto summary = run_experiment(parse_experiment_config(yaml, "t.yaml", {"output.path=" + path}), log);
  REQUIRE(summary.status == "completed");
  const RunFile f = RunFile::open(path);
  const auto eval = f.read_columns("eval");
  CHECK(eval.at("validation_nll").back() < eval.at("validation_nll").front());
  const double nll = f.read_columns("test").at("nll_nats").at(0);
  CHECK(nll < 196 * std::log(2.0));  // better than a fair coin per pixel
  CHECK(f.read_tensors("samples").at("images").shape() == Shape{4, 14, 14});
  CHECK(std::stod(f.group_attrs("samples").at("seconds")) > 0.0);  // the sampling wall-clock
  CHECK(f.read_tensors("model").count("block0.qkv.weight") == 1);
  CHECK(f.read_tensors("model").count("block0.gate.weight") == 1);  // swiglu
  // Extending the finished run from its checkpoint trains on from step 30.
  const auto more = run_experiment(parse_experiment_config(yaml, "t.yaml", {"output.path=" + path, "train.steps=40"}),
                                   log, path);
  CHECK(more.status == "completed");
  CHECK(RunFile::open(path).read_columns("train").at("step").back() == 40);
  // Dropout (with checkpointed blocks) resumes bitwise: its masks come from the run's
  // checkpointed noise stream. 20 steps straight equal 10 steps, then 10 more on resume.
  const std::vector<std::string> drop = {"model.dropout=0.2", "model.checkpoint=true", "train.eval_every=0"};
  auto with = [&](std::vector<std::string> o, const std::string& out, int steps) {
    o.insert(o.end(), {"output.path=" + out, "train.steps=" + std::to_string(steps)});
    return parse_experiment_config(yaml, "t.yaml", o);
  };
  const std::string straight = temp_path("transformer_dropout_20.h5"), halves = temp_path("transformer_dropout_10.h5");
  REQUIRE(run_experiment(with(drop, straight, 20), log).status == "completed");
  REQUIRE(run_experiment(with(drop, halves, 10), log).status == "completed");
  REQUIRE(run_experiment(with(drop, halves, 20), log, halves).status == "completed");
  const auto w20 = RunFile::open(straight).read_tensors("model"), w10 = RunFile::open(halves).read_tensors("model");
  for (const auto& [name, w] : w20) CHECK(max(abs(w - w10.at(name)), {}).item() == 0.0f);
  // ... and the masks matter: without dropout the weights differ.
  const std::string undropped = temp_path("transformer_nodrop_20.h5");
  REQUIRE(run_experiment(with({"train.eval_every=0"}, undropped, 20), log).status == "completed");
  CHECK(max(abs(RunFile::open(undropped).read_tensors("model").at("out.weight") - w20.at("out.weight")), {}).item() > 0.0f);
  // LoRA fine-tuning from this run's weights: the base stays bitwise, the adapters train.
  const std::string tuned = temp_path("transformer_lora.h5");
  const auto lora = run_experiment(
      parse_experiment_config(yaml, "t.yaml",
                              {"output.path=" + tuned, "model.init_from=" + path, "model.lora.rank=2",
                               "model.lora.targets=[qkv, fc2]", "train.steps=10"}),
      log);
  REQUIRE(lora.status == "completed");
  CHECK_THAT(log.str(), Catch::Matchers::Contains("trainable: LoRA rank 2"));
  // 1 block, width 16: qkv 16 -> 48 and fc2 43 -> 16 (SwiGLU's 8/3 x 16 hidden) with
  // rank-2 A [2, in] and B [out, 2].
  const int64_t adapters = 2 * 16 + 48 * 2 + 2 * 43 + 16 * 2;
  const auto lora_attrs = RunFile::open(tuned).attrs();
  CHECK(lora_attrs.at("trainable_parameters") == std::to_string(adapters));
  CHECK(std::stoll(lora_attrs.at("parameters")) == std::stoll(RunFile::open(path).attrs().at("parameters")) + adapters);
  const auto base_w = RunFile::open(path).read_tensors("model");
  const auto tuned_w = RunFile::open(tuned).read_tensors("model");
  CHECK(max(abs(tuned_w.at("block0.qkv.weight") - base_w.at("block0.qkv.weight")), {}).item() == 0.0f);
  CHECK(max(abs(tuned_w.at("out.weight") - base_w.at("out.weight")), {}).item() == 0.0f);
  CHECK(max(abs(tuned_w.at("block0.qkv.lora_B")), {}).item() > 0.0f);
  CHECK_THROWS_WITH(parse_experiment_config(yaml, "t.yaml", {"model.lora.rank=2", "model.arch=made"}),
                    Catch::Matchers::Contains("model.lora: needs arch: transformer"));
  CHECK_THROWS_WITH(run_experiment(parse_experiment_config(yaml, "t.yaml",
                                                           {"output.path=" + temp_path("bad_init.h5"),
                                                            "model.init_from=" + path + ".missing"}),
                                   log),
                    Catch::Matchers::Contains("model.init_from: " + path + ".missing"));
  // Width and heads that RoPE cannot split are refused at the key.
  CHECK_THROWS_WITH(parse_experiment_config(yaml, "t.yaml", {"model.heads=16"}),
                    Catch::Matchers::Contains("model.heads: must divide width into an even head width"));
}

TEST_CASE("threads: 0 (auto) sizes the Transformer's step by every position, not its weight count",
          "[runner][transformer][threads]") {
  const std::string base =
      "name: t\ndata: {name: fashion_mnist, validation: 500, downsample: true}\n"
      "model: {family: autoregressive, arch: transformer, layers: 2, width: 64, heads: 4}\n";
  const auto c = parse_experiment_config(base, "t.yaml", {});
  const auto data = make_dataset(c.data, 0);
  const auto transformer = find_family("autoregressive").make(FamilyContext{c.model, c.train, c.data, "", *data, Generator(0)});
  const double d = 196, params = static_cast<double>(transformer->parameter_count());
  CHECK(transformer->multiply_adds_per_example() == Approx(params * d + 2 * d * d * 64));
  // 100k weights x batch 32 looked like too little work to share; the real step is not.
  CHECK(params * 32 < kMultiplyAddsForSeveralThreads);
  CHECK(transformer->multiply_adds_per_example() * 32 > kMultiplyAddsForSeveralThreads);
  // MADE applies each weight once per example: the runner's weight-count estimate (0).
  const auto made_config = parse_experiment_config(base, "t.yaml", {"model.arch=made"});
  CHECK(find_family("autoregressive").make(FamilyContext{made_config.model, made_config.train, made_config.data, "", *data, Generator(0)})->multiply_adds_per_example() == 0);
}

TEST_CASE("runner: brownian_tree variants of one run walk one path per sample, whatever their "
          "names", "[runner]") {
  // Issue 29: the tree was keyed by the variant's name, so -50-tree and -200-tree drew
  // unrelated paths (rms 1.02 apart, as far as independent noise). One path per (seed,
  // row): the step counts converge to each other; independent draws do not.
  const std::string path = temp_path("brownian_variants.h5");
  std::ostringstream log;
  const auto summary = run_experiment(
      parse_experiment_config("name: b\ndata: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\n"
                              "evaluate: {samples: 300, rk45_reference: false}\nsamplers:\n"
                              "  - {sampler: dpmpp_2m_sde, steps: 50, noise: brownian_tree, name: a-50-tree}\n"
                              "  - {sampler: dpmpp_2m_sde, steps: 200, noise: brownian_tree, name: b-200-tree}\n"
                              "  - {sampler: dpmpp_2m_sde, steps: 50, name: a-50}\n"
                              "  - {sampler: dpmpp_2m_sde, steps: 200, name: b-200}\n",
                              "b.yaml", {"output.path=" + path}),
      log);
  REQUIRE(summary.status == "completed");
  const RunFile f = RunFile::open(path);
  auto gap = [&](const char* a, const char* b) {
    return std::sqrt(mean(square(f.read_samples(a) - f.read_samples(b))).item());
  };
  const double tree = gap("a-50-tree", "b-200-tree"), independent = gap("a-50", "b-200");
  INFO("brownian_tree 50 vs 200 steps: " << tree << "; independent: " << independent);
  CHECK(tree < 0.25);  // measured 0.12
  CHECK(independent > 0.5);
}
