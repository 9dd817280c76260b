// VAEs on binarized Fashion-MNIST, the setting: all 60,000 training images
// shuffled each epoch, batch 128, Adam 1e-3; after the listed epochs the test negative
// ELBO (every test image) and the IWAE NLL (k importance samples on the first
// --iwae-examples test images), in nats, and the training seconds of each epoch. Prints
// one JSON line; bench/compare_vae.py runs the same model in PyTorch beside it.
//
//   build/bench_vae --latent gaussian --epochs 10 --report 1,10 --threads 2
//   build/bench_vae --latent categorical ...            (20 x 10, straight-through)
//   build/bench_vae --binarize dynamic --held-out sample --iwae-k 5000 --iwae-examples 10000
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "genlab/core/options.h"
#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/models/vae/gumbel.h"
#include "genlab/models/vae/vae.h"

using namespace genlab;

int main(int argc, char** argv) {
  CLI::App app{"VAEs on binarized Fashion-MNIST"};
  std::string latent = "gaussian", binarize = "static", held_out = "threshold";
  int epochs = 10, threads = 0;
  int64_t hidden = 400, depth = 1, latent_dim = 20, categories = 10, iwae_k = 1000,
          iwae_examples = 1000, batch = 128, seed = 0;
  double tau_rate = 3e-4, lr = 1e-3, kl_warmup_epochs = 0;
  std::vector<int> report{1, 10};
  app.add_option("--latent", latent)->check(CLI::IsMember({"gaussian", "categorical"}));
  app.add_option("--epochs", epochs);
  app.add_option("--report", report, "epochs after which to evaluate")->delimiter(',');
  app.add_option("--threads", threads);
  app.add_option("--hidden", hidden);
  app.add_option("--depth", depth);
  app.add_option("--latent-dim", latent_dim);
  app.add_option("--categories", categories);
  app.add_option("--batch", batch);
  app.add_option("--tau-rate", tau_rate, "categorical: tau = max(0.5, exp(-rate step))");
  app.add_option("--binarize", binarize)->check(CLI::IsMember({"static", "dynamic"}));
  app.add_option("--held-out", held_out)->check(CLI::IsMember({"threshold", "sample"}));
  app.add_option("--iwae-k", iwae_k);
  app.add_option("--iwae-examples", iwae_examples);
  app.add_option("--seed", seed, "initialization, shuffling and latent draws");
  app.add_option("--lr", lr, "Adam's learning rate");
  app.add_option("--kl-warmup-epochs", kl_warmup_epochs, "beta rises linearly from 0 to 1");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);

  ImageDataOptions o;
  o.validation = 0, o.binarize = binarize, o.held_out_binarize = held_out;
  const ImageData data = load_image_data(o);
  const Tensor test = data.test_set();
  Generator init(seed), shuffle(seed + 1), noise(seed + 2);
  VAE vae({.dims = 784,
           .latent = value_of<LatentKind>(latent),
           .latent_dim = latent_dim,
           .categories = categories,
           .hidden = hidden,
           .depth = depth},
          init);
  Adam adam(vae.named_parameters(), {.lr = static_cast<float>(lr)});
  const Estimator estimator =
      latent == "gaussian" ? Estimator::reparameterization : Estimator::gumbel_st;

  auto evaluate = [&](int epoch) {
    NoGradGuard no_grad;
    Generator rng(100 + epoch);
    double elbo = 0, iwae = 0;
    for (int64_t i = 0; i < test.size(0); i += 1000)
      elbo +=
          sum(vae.elbo(slice(test, 0, i, std::min<int64_t>(test.size(0), i + 1000)), rng)).item();
    const int64_t m = std::min(iwae_examples, test.size(0));
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < m; i += 250)
      iwae += sum(vae.iwae(slice(test, 0, i, std::min<int64_t>(m, i + 250)), iwae_k, rng)).item();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "\"%d\": {\"neg_elbo\": %.3f, \"iwae_nll\": %.3f, \"iwae_s\": %.1f}", epoch,
                  -elbo / test.size(0), -iwae / m, s);
    return std::string(buf);
  };
  const int64_t n = data.train_size();
  std::vector<double> epoch_seconds;
  std::string results;
  int64_t step = 0;
  for (int e = 1; e <= epochs; ++e) {
    const std::vector<int64_t> perm = shuffled_indices(n, shuffle);
    const auto t0 = std::chrono::steady_clock::now();
    // The last, partial batch is kept (PyTorch's DataLoader default).
    for (int64_t i = 0; i < n; i += batch, ++step) {
      const Tensor x = data.train_batch(
          std::vector<int64_t>(perm.begin() + i, perm.begin() + std::min(n, i + batch)), e);
      const double progress = (e - 1) + double(i) / double(n);  // epochs done
      const double beta = kl_warmup_epochs > 0 ? std::min(1.0, progress / kl_warmup_epochs) : 1.0;
      const auto t = vae.objective(x,
                                   {.estimator = estimator,
                                    .tau = annealed_temperature(1.0, 0.5, tau_rate, step),
                                    .beta = beta},
                                   noise);
      adam.zero_grad();
      t.loss.backward();
      adam.step();
    }
    epoch_seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (std::find(report.begin(), report.end(), e) != report.end()) {
      results += (results.empty() ? "" : ", ") + evaluate(e);
      std::fprintf(stderr, "epoch %d: %s\n", e, results.c_str());
    }
  }
  std::vector<double> sorted = epoch_seconds;
  std::sort(sorted.begin(), sorted.end());
  double total = 0;
  for (double s : epoch_seconds) total += s;
  std::printf(
      "{\"bench\": \"vae\", \"impl\": \"genlab\", \"latent\": \"%s\", \"seed\": %d, \"threads\": "
      "%d, "
      "\"epochs\": %d, \"median_epoch_s\": %.3f, \"train_s\": %.1f, \"test\": {%s}}\n",
      latent.c_str(), static_cast<int>(seed), num_threads(), epochs, sorted[sorted.size() / 2],
      total, results.c_str());
}
