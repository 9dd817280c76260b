// Autoregressive models on statically binarized Fashion-MNIST (threshold 0.5), the issue's
// setting: all 60,000 training images shuffled each epoch, batch 100, Adam 1e-3; test NLL
// (nats) after the listed epochs and the training seconds of each epoch. Prints one JSON
// line; bench/compare_autoregressive.py runs the same in PyTorch beside it.
//
//   build/bench_autoregressive --arch made --epochs 20 --report 1,5,20 --threads 2
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/models/autoregressive/fvsbn.h"
#include "genlab/models/autoregressive/made.h"
#include "genlab/models/autoregressive/nade.h"

using namespace genlab;

int main(int argc, char** argv) {
  CLI::App app{"autoregressive models on binarized Fashion-MNIST"};
  std::string arch = "made";
  int epochs = 20, threads = 0, hidden = 500;
  std::vector<int> report{1, 5, 20};
  app.add_option("--arch", arch, "made | nade | fvsbn")
      ->check(CLI::IsMember({"made", "nade", "fvsbn"}));
  app.add_option("--epochs", epochs);
  app.add_option("--report", report, "epochs after which to report the test NLL")->delimiter(',');
  app.add_option("--threads", threads);
  app.add_option("--hidden", hidden);
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);

  ImageDataOptions o;
  o.validation = 0;
  const ImageData data = load_image_data(o);
  const Tensor test = data.test_set();
  Generator init(0), shuffle(1);
  std::unique_ptr<AutoregressiveModel> model;
  if (arch == "made")
    model = std::make_unique<MADE>(MADEOptions{.dims = 784, .hidden = {hidden}}, init);
  else if (arch == "nade")
    model = std::make_unique<NADE>(784, hidden, init);
  else
    model = std::make_unique<FVSBN>(784, init);
  Adam adam(model->named_parameters(), {.lr = 1e-3f});

  auto test_nll = [&] {
    NoGradGuard no_grad;
    double total = 0;
    for (int64_t i = 0; i < test.size(0); i += 1000)
      total -=
          sum(model->log_prob(slice(test, 0, i, std::min<int64_t>(test.size(0), i + 1000)))).item();
    return total / test.size(0);
  };
  const int64_t n = data.train_size(), batch = 100;
  std::vector<double> epoch_seconds;
  std::string nll_json;
  for (int e = 1; e <= epochs; ++e) {
    const std::vector<int64_t> perm = shuffled_indices(n, shuffle);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i + batch <= n; i += batch) {
      const Tensor x =
          data.train_batch(std::vector<int64_t>(perm.begin() + i, perm.begin() + i + batch), e);
      const Tensor loss = -mean(model->log_prob(x));
      adam.zero_grad();
      loss.backward();
      adam.step();
    }
    epoch_seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (std::find(report.begin(), report.end(), e) != report.end()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s\"%d\": %.3f", nll_json.empty() ? "" : ", ", e, test_nll());
      nll_json += buf;
    }
  }
  std::vector<double> sorted = epoch_seconds;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "{\"bench\": \"autoregressive\", \"impl\": \"genlab\", \"arch\": \"%s\", \"threads\": %d, "
      "\"epochs\": %d, \"median_epoch_s\": %.3f, \"test_nll\": {%s}}\n",
      arch.c_str(), num_threads(), epochs, sorted[sorted.size() / 2], nll_json.c_str());
}
