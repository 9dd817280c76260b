// Sampling throughput: heun with 18 steps (35 NFE) on EDM's grid, for n samples, over the
// exact 2-D eight-Gaussians mixture or an EDM-preconditioned 4x256 SiLU MLP denoiser with
// random weights. Prints one JSON line (median of --runs); bench/compare_sampling.py puts
// it beside the same loop in PyTorch (bench/torch_sampling.py).
//
//   build/bench_sampling --model mlp --n 100000 --threads 2 --runs 3
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "genlab/core/nn/layers.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

using namespace genlab;

namespace {

// D(x; sigma) = c_skip x + c_out F([c_in x, ln(sigma) / 4]) with EDM's coefficients,
// sigma_data = 0.5; the same network as bench/torch_sampling.py.
class MlpDenoiser : public Denoiser {
 public:
  explicit MlpDenoiser(Generator& init)
      : net_({.in = 3, .out = 2, .width = 256, .depth = 4, .activation = "silu"}, init) {}
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override {
    const float sd2 = 0.25f;
    const Tensor s = reshape(sigma, {-1, 1});
    const Tensor var = square(s) + sd2;
    const Tensor inv_std = reciprocal(sqrt(var));
    const Tensor c_in = inv_std, c_skip = sd2 / var, c_out = s * 0.5f * inv_std;
    const Tensor f = net_.forward(concat({x * c_in, log(s) * 0.25f}, 1));
    return x * c_skip + f * c_out;
  }
  int64_t dims() const override { return 2; }

 private:
  MLP net_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"heun-18 sampling throughput"};
  std::string model = "mlp";
  int64_t n = 100000;
  int threads = 0, runs = 3, steps = 18;
  app.add_option("--model", model, "gmm | mlp")->check(CLI::IsMember({"gmm", "mlp"}));
  app.add_option("--n", n, "samples per run (one batch)");
  app.add_option("--threads", threads, "OpenMP threads (0: all)");
  app.add_option("--runs", runs, "timed runs (median reported)");
  app.add_option("--steps", steps, "heun steps");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);

  Generator init(0);
  const MlpDenoiser mlp(init);
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Denoiser& d = model == "mlp" ? static_cast<const Denoiser&>(mlp) : gm;
  const auto p = make_edm();
  const auto t = make_time_grid(*p, {.kind = "edm", .steps = steps});
  const auto heun = make_sampler("heun");
  const Tensor noise = Generator(1).normal_rows({n, 2}, 0);
  heun->sample(d, *p, t, slice(noise, 0, 0, std::min<int64_t>(n, 1000)));  // warm-up
  std::vector<double> rates;
  int64_t nfe = 0;
  double check = 0;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto result = heun->sample(d, *p, t, noise);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(n / s);
    nfe = result.nfe;
    check = mean(square(result.x)).item();
  }
  std::sort(rates.begin(), rates.end());
  std::printf(
      "{\"bench\": \"heun_sampling\", \"impl\": \"genlab\", \"model\": \"%s\", \"threads\": %d, "
      "\"n\": %lld, \"nfe\": %lld, \"samples_per_s\": %.1f, \"mean_sq\": %.5f}\n",
      model.c_str(), num_threads(), static_cast<long long>(n), static_cast<long long>(nfe),
      rates[rates.size() / 2], check);
}
