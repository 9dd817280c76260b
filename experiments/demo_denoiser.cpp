#include "experiments/demo_denoiser.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/autograd.h"
#include "core/nn/embeddings.h"
#include "core/nn/layers.h"
#include "core/ops.h"
#include "core/optim/optimizer.h"
#include "core/rng.h"

namespace genlab {
namespace {

constexpr float kSigmaData = 0.5f;

// Eight Gaussians (std 0.05) on a circle of radius 0.7: about unit-scale 2-D data.
Tensor eight_gaussians(Generator& g, int64_t n) {
  const Tensor angle = floor(g.uniform({n, 1}) * 8.0f) * static_cast<float>(M_PI / 4.0);
  return concat({cos(angle), sin(angle)}, 1) * 0.7f + g.normal({n, 2}, 0.0f, 0.05f);
}

}  // namespace

DemoResult run_demo_denoiser(const DemoOptions& o, std::ostream& out) {
  Generator root(o.seed);
  Generator init = root.derive("init"), data = root.derive("data"), noise = root.derive("noise");
  SinusoidalEmbedding embed({.dim = 32});
  MLP net({.in = 2 + 32, .out = 2, .width = o.width, .depth = o.depth, .activation = "silu"}, init);
  Adam opt(net.named_parameters(), {.lr = o.lr});

  char line[160];
  std::snprintf(line, sizeof line,
                "genlab demo: EDM-preconditioned MLP denoiser (%lld parameters) on 8 Gaussians, "
                "batch %lld, Adam lr %g\n",
                static_cast<long long>(net.num_parameters()), static_cast<long long>(o.batch_size), o.lr);
  out << line;

  DemoResult result;
  double window = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 1; step <= o.steps; ++step) {
    const Tensor x0 = eight_gaussians(data, o.batch_size);
    // EDM: ln sigma ~ N(-1.2, 1.2^2); D = c_skip x + c_out F(c_in x, c_noise); training
    // F on (x0 - c_skip x) / c_out with unit weight is the lambda-weighted D loss.
    const Tensor sigma = exp(noise.normal({o.batch_size, 1}, -1.2f, 1.2f));
    const Tensor x = x0 + sigma * noise.normal({o.batch_size, 2});
    const Tensor s2 = square(sigma) + kSigmaData * kSigmaData;
    const Tensor c_skip = kSigmaData * kSigmaData / s2;
    const Tensor c_out = sigma * kSigmaData / sqrt(s2);
    const Tensor c_in = 1.0f / sqrt(s2);
    const Tensor c_noise = log(sigma) * 0.25f;
    const Tensor f = net.forward(concat({x * c_in, embed.forward(c_noise)}, 1));
    const Tensor loss = mse(f, (x0 - c_skip * x) / c_out);
    opt.zero_grad();
    loss.backward();
    opt.step();
    window += loss.item();
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
