// The image U-Net's training step (issue 14's network), for bench/compare_unet.py to put
// beside the same U-Net in PyTorch (bench/torch_unet.py): EDM preconditioning and loss,
// Adam, EMA, batch 128 of 1x28x28 images; prints one JSON line with the median step time.
//
//   build/bench_unet [--steps S] [--runs R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "genlab/core/parallel.h"
#include "genlab/models/diffusion/trainer.h"

using namespace genlab;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int steps = 3, runs = 5;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[++i]);
  }
  UNetOptions u;  // the defaults: 32 channels, channel_mult [1, 2, 2], attention at 7x7
  Generator init(0), data(1), noise(2);
  DiffusionModel model({.process = "edm", .sigma_data = 0.5f}, u, init);
  DiffusionTrainer trainer(model, {.adam = {.lr = 2e-4f}, .ema = {.decay = 0.999f}});
  const Tensor x0 = data.uniform({128, 784}, -1.0f, 1.0f);
  for (int i = 0; i < 2; ++i) trainer.step(x0, noise);  // warm-up: primitives, allocator
  std::vector<double> t;
  float loss = 0;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    for (int s = 0; s < steps; ++s) loss = trainer.step(x0, noise);
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / steps);
  }
  std::sort(t.begin(), t.end());
  std::printf("{\"bench\": \"unet_step\", \"impl\": \"genlab\", \"threads\": %d, \"parameters\": %lld, "
              "\"median_step_s\": %.5g, \"loss\": %.5g}\n",
              num_threads(), static_cast<long long>(model.num_parameters()), t[t.size() / 2], loss);
  return 0;
}
