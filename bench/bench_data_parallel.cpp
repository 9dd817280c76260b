// Data-parallel training speed (issue 16): one config's training under the ranks this
// process was started with (`mpirun -np K`, or alone), through the runner itself. The
// communicator is wrapped to time its sums, which during training are the gradient
// allreduce (plus the loss and the per-step stop flag). Rank 0 prints one JSON line:
// ranks, threads, steps, seconds per step (the run's own /train wall clock), and the
// allreduce's seconds per step and share of the step.
//
//   mpirun -np 2 build/bench_data_parallel --config configs/quickstart.yaml --steps 2000 --threads 1
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "genlab/core/distributed/communicator.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/cli/runner.h"

using namespace genlab;

namespace {

// world(), with the time spent in its sums counted.
class TimedCommunicator final : public Communicator {
 public:
  explicit TimedCommunicator(const Communicator& inner) : inner_(inner) {}
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::string kind() const override { return inner_.kind(); }
  void allreduce_sum(float* d, int64_t n) const override { timed([&] { inner_.allreduce_sum(d, n); }, n); }
  void allreduce_sum(double* d, int64_t n) const override { timed([&] { inner_.allreduce_sum(d, n); }, n); }
  void broadcast(std::string& b, int root) const override { inner_.broadcast(b, root); }
  std::vector<std::string> allgather(const std::string& b) const override { return inner_.allgather(b); }
  void barrier() const override { inner_.barrier(); }
  [[noreturn]] void abort(int code) const override {
    inner_.abort(code);
    std::abort();  // not reached; GCC does not carry [[noreturn]] through the virtual call
  }
  mutable double seconds = 0;
  mutable int64_t largest = 0;  // values in the largest message: the gradients

 private:
  template <class F>
  void timed(F&& f, int64_t n) const {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    largest = std::max(largest, n);
  }
  const Communicator& inner_;
};

}  // namespace

int main(int argc, char** argv) {
  init_world(&argc, &argv);
  CLI::App app{"data-parallel training speed"};
  std::string config, out = "/tmp/genlab_bench_dp";
  int64_t steps = 2000;
  int threads = 1;
  std::vector<std::string> overrides;
  app.add_option("--config", config)->required();
  app.add_option("--steps", steps);
  app.add_option("--threads", threads, "OpenMP threads per rank");
  app.add_option("--out", out, "folder for the run file");
  app.add_option("overrides", overrides);
  CLI11_PARSE(app, argc, argv);
  TimedCommunicator comm(world());
  overrides.insert(overrides.end(), {"train.epochs=0", "train.steps=" + std::to_string(steps),
                                     "train.log_every=" + std::to_string(steps), "train.eval_every=0",
                                     "train.eval_every_epochs=0", "train.checkpoint_every=0",
                                     "train.checkpoint_every_epochs=0", "threads=" + std::to_string(threads),
                                     "evaluate.samples=2", "evaluate.likelihood=false",
                                     "evaluate.rk45_reference=false", "samplers=[]"});
  if (comm.rank() == 0) std::filesystem::create_directories(out);
  const std::string path = out + "/k" + std::to_string(comm.size()) + "_t" + std::to_string(threads) + ".h5";
  overrides.push_back("output.path=" + path);
  ExperimentConfig c = load_experiment_config(config, overrides);
  RunOptions o;
  o.comm = &comm;
  o.overwrite = true;
  std::ostringstream log;
  run_experiment(c, log, o);
  if (comm.rank() == 0) {
    const double wall = RunFile::open(path).read_columns("train").at("wall_s").back();
    const double per_step = wall / static_cast<double>(steps), reduce = comm.seconds / static_cast<double>(steps);
    std::printf("{\"config\": \"%s\", \"ranks\": %d, \"threads\": %d, \"steps\": %lld, \"s_per_step\": %.6g, "
                "\"steps_per_s\": %.4g, \"allreduce_s_per_step\": %.4g, \"allreduce_share\": %.4f, "
                "\"gradient_values\": %lld}\n",
                config.c_str(), comm.size(), threads, static_cast<long long>(steps), per_step, 1.0 / per_step,
                reduce, reduce / per_step, static_cast<long long>(comm.largest));
  }
  return 0;
}
