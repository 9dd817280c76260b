// Diffusion training benchmarks (issue 4):
//   train: the EDM MLP of the issue (4x256 SiLU, sinusoidal embedding of c_noise, batch
//          4096, Adam 1e-3, lognormal sigma, EMA 0.995) on a toy set; prints one JSON line
//          with steps/s (median over chunks of 50 steps), the final loss (mean of the last
//          100 steps) and the sliced W2 of heun-18 samples of the EMA model to fresh data.
//   table: the four processes trained on eight Gaussians, each sampled by euler, heun,
//          dpmpp_2m, edm_stochastic and rk45 at 5, 10, 18, 50 steps: NFE, sliced W2, MMD.
//
//   build/bench_diffusion train --data moons --steps 2000 --threads 2
//   build/bench_diffusion table --steps 2000
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/eval/metrics.h"
#include "genlab/experiments/data/toy_data.h"
#include "genlab/models/diffusion/trainer.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

using namespace genlab;

namespace {

struct Trained {
  std::unique_ptr<DiffusionModel> model, ema;
  double steps_per_s = 0, final_loss = 0;
};

Trained train(const std::string& process, const std::string& data_name, int steps, int64_t batch,
              uint64_t seed) {
  Generator root(seed);
  Generator init = root.derive("init"), data = root.derive("data"), noise = root.derive("noise");
  Trained t;
  t.model = std::make_unique<DiffusionModel>(
      PreconditioningOptions{.process = process, .sigma_data = 0.5},
      DenoiserNetOptions{.dims = 2, .width = 256, .depth = 4, .embedding = {.dim = 64}}, init);
  DiffusionTrainer trainer(*t.model, {.adam = {.lr = 1e-3f}, .ema = {.decay = 0.995f}});
  std::vector<double> rates, losses;
  auto chunk_start = std::chrono::steady_clock::now();
  for (int s = 1; s <= steps; ++s) {
    losses.push_back(trainer.step(toy_2d(data_name, batch, data), noise));
    if (s % 50 == 0) {
      const auto now = std::chrono::steady_clock::now();
      rates.push_back(50.0 / std::chrono::duration<double>(now - chunk_start).count());
      chunk_start = now;
    }
  }
  std::sort(rates.begin(), rates.end());
  t.steps_per_s = rates.empty() ? 0 : rates[rates.size() / 2];
  const size_t tail = std::min<size_t>(100, losses.size());
  for (size_t i = losses.size() - tail; i < losses.size(); ++i) t.final_loss += losses[i] / tail;
  t.ema = trainer.ema_model();
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"diffusion training benchmarks"};
  app.require_subcommand(1);
  std::string data = "eight_gaussians";
  int steps = 2000, threads = 0;
  int64_t batch = 4096, n = 10000;
  auto* train_cmd = app.add_subcommand("train", "train the EDM MLP; one JSON line");
  train_cmd->add_option("--data", data, "toy data set");
  auto* table_cmd = app.add_subcommand("table", "process x sampler x steps on eight Gaussians");
  for (auto* c : {train_cmd, table_cmd}) {
    c->add_option("--steps", steps, "training steps");
    c->add_option("--batch", batch, "batch size");
    c->add_option("--threads", threads, "OpenMP threads (0: all)");
    c->add_option("--n", n, "samples for the metrics");
  }
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);

  Generator fresh(99);
  if (*train_cmd) {
    const Trained t = train("edm", data, steps, batch, 0);
    const Tensor reference = toy_2d(data, n, fresh);
    const auto p = make_process("edm");
    const Tensor x = make_sampler("heun")
                         ->sample(*t.ema, *p, make_time_grid(*p, {.steps = 18}),
                                  Generator(7).normal_rows({n, 2}, 0))
                         .x;
    const Tensor reference2 = toy_2d(data, n, fresh);
    std::printf(
        "{\"bench\": \"diffusion_train\", \"impl\": \"genlab\", \"data\": \"%s\", \"threads\": %d, "
        "\"steps\": %d, \"steps_per_s\": %.2f, \"final_loss\": %.4f, \"sw_heun18\": %.4f, "
        "\"sw_data_floor\": %.4f}\n",
        data.c_str(), num_threads(), steps, t.steps_per_s, t.final_loss,
        sliced_wasserstein(x, reference), sliced_wasserstein(reference2, reference));
    return 0;
  }
  const Tensor exact = toy_2d("eight_gaussians", n, fresh);
  std::printf(
      "# eight Gaussians, %d training steps per process, %lld samples; floor (two data "
      "sets): sliced W2 %.4f, MMD^2 %.2e\n\n",
      steps, static_cast<long long>(n),
      sliced_wasserstein(toy_2d("eight_gaussians", n, fresh), exact),
      mmd_rbf(toy_2d("eight_gaussians", n, fresh), exact));
  std::printf(
      "| process | final loss | sampler | steps | NFE | sliced W2 | MMD^2 "
      "|\n|---|---|---|---|---|---|---|\n");
  for (const char* process : {"vp", "ve", "edm", "flow"}) {
    const Trained t = train(process, "eight_gaussians", steps, batch, 0);
    const auto p = make_process(process);
    const Tensor z = Generator(7).normal_rows({n, 2}, 0);
    for (const char* name : {"euler", "heun", "dpmpp_2m", "edm_stochastic", "rk45"})
      for (int k : {5, 10, 18, 50}) {
        if (std::string(name) == "rk45" && k != 5) continue;  // adaptive: one row
        const auto r = make_sampler(name)->sample(*t.ema, *p, make_time_grid(*p, {.steps = k}), z,
                                                  {Generator(8), 0});
        std::printf("| %s | %.4f | %s | %s | %lld | %.4f | %.2e |\n", process, t.final_loss, name,
                    std::string(name) == "rk45" ? "adaptive" : std::to_string(k).c_str(),
                    static_cast<long long>(r.nfe), sliced_wasserstein(r.x, exact),
                    mmd_rbf(r.x, exact));
        std::fflush(stdout);
      }
  }
}
