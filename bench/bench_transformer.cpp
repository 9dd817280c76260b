// The autoregressive Transformer on statically binarized Fashion-MNIST (threshold 0.5),
// 28x28 or the 14x14 down-sampling, in the setting of configs/transformer_fmnist.yaml:
// batch 32, AdamW (decay 0.01, none on 1-D parameters) at 2e-3 with 100 warm-up steps
// then cosine to 0, gradient clipping at 1. Reports the median seconds of a training step
// (forward, backward, clip, update) and the test NLL (nats) after the last step. Prints
// one JSON line; bench/compare_transformer.py runs the same model in PyTorch beside it.
//
//   build/bench_transformer --size 28 --steps 1200 --threads 2
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/optim/schedule.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/models/autoregressive/transformer.h"

using namespace genlab;

int main(int argc, char** argv) {
  CLI::App app{"the autoregressive Transformer on binarized Fashion-MNIST"};
  int size = 28, steps = 1200, threads = 0, batch = 32, test_images = 10000, warmup = 100;
  uint64_t seed = 0;
  TransformerOptions t;
  app.add_option("--size", size, "28 or 14 (2x2 averages, then the threshold)")
      ->check(CLI::IsMember({28, 14}));
  app.add_option("--steps", steps);
  app.add_option("--batch", batch);
  app.add_option("--warmup", warmup, "warm-up steps (below --steps)");
  app.add_option("--threads", threads);
  app.add_option("--seed", seed, "the initialization and the batch order");
  app.add_option("--layers", t.layers);
  app.add_option("--width", t.width);
  app.add_option("--heads", t.heads);
  app.add_option("--test-images", test_images, "the first N test images for the NLL (0: none)");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);

  ImageDataOptions o;
  o.validation = 0;
  o.downsample = size == 14;
  const ImageData data = load_image_data(o);
  const Tensor test = slice(data.test_set(), 0, 0, std::min<int64_t>(test_images, data.test_size()));
  t.dims = data.dims();
  Generator init(2 * seed), shuffle(2 * seed + 1);
  Transformer model(t, init);
  const auto params = model.named_parameters();
  AdamW adamw(params, {.lr = 2e-3f, .weight_decay = 0.01f, .no_decay = no_decay_parameters(params)});
  const LrSchedule schedule(
      {.kind = "cosine", .lr = 2e-3f, .warmup_steps = warmup, .total_steps = steps});

  std::vector<double> step_seconds;
  std::vector<int64_t> perm;
  size_t next = 0;
  int64_t epoch = 0;
  for (int s = 0; s < steps; ++s) {
    if (next + batch > perm.size()) perm = shuffled_indices(data.train_size(), shuffle), next = 0, ++epoch;
    const Tensor x = data.train_batch(std::vector<int64_t>(perm.begin() + next, perm.begin() + next + batch), epoch);
    next += batch;
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor loss = -mean(model.log_prob(x));
    adamw.zero_grad();
    loss.backward();
    clip_grad_norm(model.parameters(), 1.0f);
    adamw.set_lr(schedule.lr_at(s));
    adamw.step();
    step_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  double nll = 0;
  if (test.size(0) > 0) {
    NoGradGuard no_grad;
    for (int64_t i = 0; i < test.size(0); i += 250)
      nll -= sum(model.log_prob(slice(test, 0, i, std::min<int64_t>(test.size(0), i + 250)))).item();
    nll /= static_cast<double>(test.size(0));
  }
  std::sort(step_seconds.begin(), step_seconds.end());
  std::printf(
      "{\"bench\": \"transformer\", \"impl\": \"genlab\", \"size\": %d, \"seed\": %llu, \"threads\": %d, \"steps\": %d, "
      "\"parameters\": %lld, \"median_step_s\": %.5f, \"test_nll\": %.3f}\n",
      size, static_cast<unsigned long long>(seed), num_threads(), steps, static_cast<long long>(model.num_parameters()),
      step_seconds[step_seconds.size() / 2], nll);
}
