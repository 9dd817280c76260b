// Issue 15's GPU measurements, on the device given (--device cuda or cpu), each the same
// model and step as its PyTorch peer in bench/torch_cuda.py, which tests/gpu/check.sh runs
// in the same script:
//   mlp:   the EDM MLP training step (4x256 SiLU, sinusoidal embedding, batch 4096, Adam,
//          EMA): median step time;
//   unet:  the image U-Net training step (bench_unet's network, batch 128 of 1x28x28);
//   heun:  Heun with 18 steps (35 NFE) over 100k 2-D points with the EDM MLP denoiser;
//   gemm:  an 8192^3 float GEMM, GFLOP/s and its fraction of --peak-tflops.
// Every timing synchronizes the device before reading the clock. One JSON line each.
//
//   build/bench_cuda --device cuda --peak-tflops 67
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "genlab/core/backend.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/models/diffusion/trainer.h"
#include "genlab/core/autograd.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

using namespace genlab;
using Clock = std::chrono::steady_clock;

namespace {

// Median seconds of `runs` timings of `reps` calls, after two warm-up calls.
double median_seconds(Device device, int runs, int reps, const std::function<void()>& fn) {
  fn();
  fn();
  backend(device).synchronize();
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i) fn();
    backend(device).synchronize();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / reps);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int run(int argc, char** argv);

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda: %s\n", e.what());
    return 1;
  }
}

int run(int argc, char** argv) {
  CLI::App app{"GPU benchmarks of issue 15 (the peer is bench/torch_cuda.py)"};
  std::string device_text = "cuda";
  int runs = 5;
  double peak_tflops = 67.0;  // H100/H200 SXM FP32 (no tensor cores)
  std::vector<std::string> only;
  app.add_option("--device", device_text, "cpu, cuda or cuda:N");
  app.add_option("--runs", runs, "timed runs per measurement (the median is printed)");
  app.add_option("--peak-tflops", peak_tflops, "the device's FP32 peak, for the GEMM fraction");
  app.add_option("--only", only, "mlp, unet, heun, gemm (default: all)");
  CLI11_PARSE(app, argc, argv);
  const DeviceSpec spec = parse_device(device_text);
  if (spec.device == Device::cuda) select_cuda_device(spec.index);
  const Device dev = spec.device;
  const std::string name = backend(dev).describe();
  const DefaultDevice scope(dev);
  auto wanted = [&](const char* what) {
    return only.empty() || std::find(only.begin(), only.end(), what) != only.end();
  };
  auto json_head = [&](const char* bench) {
    std::printf("{\"bench\": \"%s\", \"impl\": \"genlab\", \"device\": \"%s\"", bench, name.c_str());
  };

  if (wanted("mlp")) {
    Generator init(0), data(1), noise(2);
    DiffusionModel model(PreconditioningOptions{.process = "edm", .sigma_data = 0.5},
                         DenoiserNetOptions{.dims = 2, .width = 256, .depth = 4, .embedding = {.dim = 64}},
                         init);
    DiffusionTrainer trainer(model, {.adam = {.lr = 1e-3f}, .ema = {.decay = 0.995f}});
    const Tensor x0 = data.normal({4096, 2});
    float loss = 0;
    const double s = median_seconds(dev, runs, 20, [&] { loss = trainer.step(x0, noise); });
    json_head("mlp_step");
    std::printf(", \"batch\": 4096, \"median_step_s\": %.5g, \"steps_per_s\": %.1f, \"loss\": %.4f}\n", s,
                1.0 / s, loss);
  }
  if (wanted("unet")) {
    UNetOptions u;
    Generator init(0), data(1), noise(2);
    DiffusionModel model({.process = "edm", .sigma_data = 0.5f}, u, init);
    DiffusionTrainer trainer(model, {.adam = {.lr = 2e-4f}, .ema = {.decay = 0.999f}});
    const Tensor x0 = data.uniform({128, 784}, -1.0f, 1.0f);
    float loss = 0;
    const double s = median_seconds(dev, runs, 3, [&] { loss = trainer.step(x0, noise); });
    json_head("unet_step");
    std::printf(", \"batch\": 128, \"parameters\": %lld, \"median_step_s\": %.5g, \"loss\": %.4f}\n",
                static_cast<long long>(model.num_parameters()), s, loss);
  }
  if (wanted("heun")) {
    Generator init(0);
    DiffusionModel model(PreconditioningOptions{.process = "edm", .sigma_data = 0.5},
                         DenoiserNetOptions{.dims = 2, .width = 256, .depth = 4, .embedding = {.dim = 64}},
                         init);
    const auto process = make_process("edm");
    const auto grid = make_time_grid(*process, {.steps = 18});
    const auto heun = make_sampler("heun");
    const Tensor noise = Generator(7).normal_rows({100000, 2}, 0);
    Tensor x;
    const double s = median_seconds(dev, runs, 1, [&] {
      const NoGradGuard no_grad;
      x = heun->sample(model, *process, grid, noise).x;
    });
    json_head("heun_sampling");
    std::printf(", \"n\": 100000, \"nfe\": 35, \"median_s\": %.5g, \"samples_per_s\": %.1f}\n", s,
                100000 / s);
  }
  if (wanted("gemm")) {
    const int64_t n = dev == Device::cpu ? 2048 : 8192;
    Generator g(3);
    const Tensor a = g.uniform({n, n}), b = g.uniform({n, n});
    Tensor c;
    const double s = median_seconds(dev, runs, 3, [&] { c = matmul(a, b); });
    const double tflops = 2.0 * n * n * n / s / 1e12;
    json_head("sgemm");
    std::printf(", \"n\": %lld, \"median_s\": %.5g, \"tflops\": %.2f, \"fraction_of_peak\": %.3f}\n",
                static_cast<long long>(n), s, tflops, tflops / peak_tflops);
  }
  return 0;
}
