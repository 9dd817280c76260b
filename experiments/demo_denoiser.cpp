#include "experiments/demo_denoiser.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/ops.h"
#include "core/rng.h"
#include "models/diffusion/trainer.h"

namespace genlab {
namespace {

constexpr double kSigmaData = 0.5;

// Eight Gaussians (std 0.05) on a circle of radius 0.7: about unit-scale 2-D data.
Tensor eight_gaussians(Generator& g, int64_t n) {
  const Tensor angle = floor(g.uniform({n, 1}) * 8.0f) * static_cast<float>(M_PI / 4.0);
  return concat({cos(angle), sin(angle)}, 1) * 0.7f + g.normal({n, 2}, 0.0f, 0.05f);
}

}  // namespace

DemoResult run_demo_denoiser(const DemoOptions& o, std::ostream& out) {
  Generator root(o.seed);
  Generator init = root.derive("init"), data = root.derive("data"), noise = root.derive("noise");
  // The diffusion family's own model and trainer: EDM preconditioning, lognormal sigma.
  DiffusionModel model({.process = "edm", .sigma_data = kSigmaData},
                       {.dims = 2, .width = o.width, .depth = o.depth, .embedding_dim = 32}, init);
  DiffusionTrainer trainer(model, {.adam = {.lr = o.lr}, .ema = {}, .grad_clip = 0.0f});

  char line[160];
  std::snprintf(line, sizeof line,
                "genlab demo: EDM-preconditioned MLP denoiser (%lld parameters) on 8 Gaussians, "
                "batch %lld, Adam lr %g\n",
                static_cast<long long>(model.num_parameters()), static_cast<long long>(o.batch_size), o.lr);
  out << line;

  DemoResult result;
  double window = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 1; step <= o.steps; ++step) {
    const float loss = trainer.step(eight_gaussians(data, o.batch_size), noise);
    window += loss;
    if (step % o.log_every == 0 || step == o.steps) {
      const int64_t n = step % o.log_every == 0 ? o.log_every : step % o.log_every;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      result.window_losses.push_back(window / n);
      std::snprintf(line, sizeof line, "step %6lld  loss %.4f  %.1f steps/s\n",
                    static_cast<long long>(step), window / n, step / secs);
      out << line << std::flush;
      window = 0;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.steps_per_second = o.steps / secs;
  std::snprintf(line, sizeof line, "loss %.4f -> %.4f over %lld steps (%.1f s)\n",
                result.window_losses.front(), result.window_losses.back(),
                static_cast<long long>(o.steps), secs);
  out << line;
  return result;
}

}  // namespace genlab
