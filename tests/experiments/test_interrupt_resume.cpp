// Ctrl-C and the run alone: a real `genlab run` child stopped by SIGINT writes a
// checkpoint at the step it stopped, says how to continue and exits 130; `genlab run
// --resume RUN` with no config (the run's folder or its file) finishes it equal to an
// uninterrupted run; a second SIGINT stops at once. Also `--smoke` and the did-you-mean of
// unknown commands, as a user meets them on the command line.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "genlab/core/ops.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/eval/load_denoiser.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/run/run_status.h"
#include "genlab/experiments/cli/runner.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"
#include "tests/experiments/child_runs.h"
#include "tests/experiments/temp_paths.h"

extern char** environ;

using namespace genlab;
using genlab::testing::temp_path;
using Catch::Matchers::Contains;

namespace {

const char* kConfig = R"(name: interrupt
data: {name: moons}
model: {family: diffusion, process: edm, net: {width: 32, depth: 2, embedding_dim: 16}}
train: {steps: 4000, batch_size: 64, log_every: 10, eval_every: 2000, checkpoint_every: 100000}
evaluate: {samples: 300, eval_steps: 5}
samplers:
  - {sampler: euler, steps: 8}
)";

struct Child {
  pid_t pid = 0;
  std::string out, err;  // files holding its stdout and stderr
};

Child spawn_genlab(const std::vector<std::string>& args, const std::string& tag) {
  Child c;
  c.out = temp_path(tag + ".stdout"), c.err = temp_path(tag + ".stderr");
  c.pid = genlab::testing::spawn_genlab_process(args, c.out, c.err);
  return c;
}

int exit_code(const Child& c) {
  int status = 0;
  waitpid(c.pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last /train step of a run being written (0 until it has one).
double last_step(const std::string& path) {
  try {
    const auto steps = RunFile::open(path).read_columns("train").at("step");
    return steps.empty() ? 0 : steps.back();
  } catch (const std::exception&) {  // not created yet, or caught mid-write
    return 0;
  }
}

void wait_for_step(const std::string& path, double step) {
  for (int i = 0; i < 12000 && last_step(path) < step; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(last_step(path) >= step);
}

// A fresh folder for a test's runs (temp_path only clears files).
std::string temp_folder(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_tests" / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}

std::string write_config(const std::string& name) {
  const std::string cfg = temp_path(name);
  std::ofstream(cfg) << kConfig;
  return cfg;
}

}  // namespace

TEST_CASE("Ctrl-C writes a checkpoint and prints the resume command, and --resume RUN alone finishes it bitwise",
          "[runner][resume][cli]") {
  const std::string cfg = write_config("interrupt.yaml");
  const std::string ref = temp_path("interrupt_ref.h5");
  std::filesystem::remove(ref);
  std::ostringstream log;
  REQUIRE(run_experiment(load_experiment_config(cfg, {"output.path=" + ref}), log).status == "completed");

  // The run in its own folder, as a user starts it; SIGINT once it is a few hundred steps in.
  const std::string folder = temp_folder("interrupt_runs");
  const Child run = spawn_genlab({"run", cfg, "output.folder=" + folder}, "interrupt_run");
  const std::string path = folder + "/interrupt/latest/run.h5";
  wait_for_step(path, 300);
  kill(run.pid, SIGINT);
  CHECK(exit_code(run) == 130);
  const std::string out = read_text(run.out);
  INFO(out << read_text(run.err));
  CHECK_THAT(out, Contains("interrupted: checkpoint written at step"));
  CHECK_THAT(out, Contains("continue with: genlab run --resume " + folder + "/interrupt/"));
  CHECK_THAT(read_text(run.err), Contains("a second Ctrl-C stops at once"));
  {
    const RunFile f = RunFile::open(path);
    CHECK(f.attrs().at("status") == "interrupted");
    // The checkpoint is at the step it stopped (no periodic one was due: every 100000).
    const double at = std::stod(f.group_attrs("checkpoint").at("step"));
    CHECK(at >= 300);
    CHECK(at < 4000);
  }

  // The run's folder alone, through its `latest` link: no config file on the command line.
  const Child resumed = spawn_genlab({"run", "--resume", folder + "/interrupt/latest"}, "interrupt_resume");
  CHECK(exit_code(resumed) == 0);
  INFO(read_text(resumed.out) << read_text(resumed.err));
  CHECK_THAT(read_text(resumed.out), Contains("resuming from the checkpoint at step"));
  const RunFile a = RunFile::open(ref), b = RunFile::open(path);
  CHECK(b.attrs().at("status") == "completed");
  for (const char* group : {"model", "model/ema"})
    for (const auto& [name, t] : a.read_tensors(group)) {
      INFO(group << "/" << name);
      CHECK(max(abs(t - b.read_tensors(group).at(name)), {}).item() == 0.0f);
    }
  CHECK(a.read_columns("train").at("loss") == b.read_columns("train").at("loss"));

  // Overrides on top of the stored config extend it, and the change is named.
  const Child longer = spawn_genlab({"run", "--resume", path, "train.steps=4100"}, "interrupt_extend");
  CHECK(exit_code(longer) == 0);
  CHECK_THAT(read_text(longer.out), Contains("train.steps"));
  CHECK(RunFile::open(path).read_columns("train").at("step").back() == 4100);

  // The trained model from C++, as a Denoiser any sampler takes: its EMA weights sample
  // the variant the run sampled, bit for bit.
  const auto model = load_denoiser(folder + "/interrupt/latest");
  CHECK(model->process_name() == "edm");
  CHECK(model->dims() == 2);
  const Process& p = model->process();
  const Tensor noise = Generator(0).derive("sampling").derive("init").normal_rows({300, 2}, 0);
  const Tensor x = make_sampler("euler")->sample(*model, p, make_time_grid(p, {.kind = "edm", .steps = 8}), noise).x;
  CHECK(max(abs(x - b.read_samples("euler-8")), {}).item() < 1e-5f);  // threads may differ
  CHECK_THROWS_WITH(load_denoiser(folder), Contains("run.h5"));
}

TEST_CASE("a second Ctrl-C stops at once, printing how to continue", "[runner][cli]") {
  // In a child of its own: the handler ends the process. raise() delivers each signal
  // before it returns, so the two are never merged into one (as two quick kill()s may be).
  const std::string err = temp_path("second_signal.stderr");
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    const StopSignalGuard guard;
    StopSignalGuard::set_resume_hint("continue with: genlab run --resume runs/x/run.h5\n");
    raise(SIGINT);
    if (!StopSignalGuard::stop_requested()) _exit(3);  // the first one only asks to stop
    raise(SIGINT);
    _exit(4);  // not reached: the second one ends the process
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK_THAT(read_text(err), Contains("a second Ctrl-C stops at once") && Contains("second signal") &&
                                 Contains("continue with: genlab run --resume runs/x/run.h5"));
}

TEST_CASE("the command line: did-you-mean for commands, --smoke, and a run's folder where a file is asked",
          "[cli]") {
  const Child train = spawn_genlab({"train", "configs/quickstart.yaml"}, "train_command");
  CHECK(exit_code(train) == 2);
  CHECK_THAT(read_text(train.err), Contains("did you mean 'run'?"));
  // The quick form of a config: its own folder, every phase (smoke.h).
  const std::string cfg = write_config("smoke.yaml");
  const std::string folder = temp_folder("smoke_runs");
  const Child smoke = spawn_genlab({"run", cfg, "--smoke", "output.folder=" + folder}, "smoke");
  CHECK(exit_code(smoke) == 0);
  const RunFile f = RunFile::open(folder + "/interrupt_smoke/latest/run.h5");
  CHECK(f.read_columns("train").at("step").back() == 30);
  CHECK(f.read_columns("eval").at("step") == std::vector<double>{15, 30});
  CHECK(f.read_summary().size() == 1);
  const Child info = spawn_genlab({"info", folder + "/interrupt_smoke/latest"}, "info_folder");
  CHECK(exit_code(info) == 0);
  CHECK_THAT(read_text(info.out), Contains("status: completed"));
}
