// Training end to end: an MLP trained with EDM and one trained with flow matching on the
// eight Gaussians, sampled from their EMA weights with heun, land within a small factor
// of the sliced Wasserstein distance between two exact sample sets of the same size.
#include <catch2/catch.hpp>

#include "genlab/core/ops.h"
#include "genlab/experiments/eval/metrics.h"
#include "genlab/experiments/data/toy_data.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/models/diffusion/trainer.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"
#include "tests/samplers/sampler_test_helpers.h"

using namespace genlab;

TEST_CASE("EDM and flow-matching MLPs learn the eight Gaussians", "[diffusion][training]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const int64_t n = 4000;
  const double floor = testing::exact_floor(gm, n, 4, 41);
  Generator exact_rng(42);
  const Tensor exact = gm.sample(n, exact_rng);
  for (const char* process : {"edm", "flow"}) {
    Generator root(43);
    Generator init = root.derive("init"), data = root.derive("data"), noise = root.derive("noise");
    DiffusionModel model({.process = process, .sigma_data = 0.7},
                         {.dims = 2, .width = 128, .depth = 3}, init);
    DiffusionTrainer trainer(model, {.adam = {.lr = 2e-3f}, .ema = {.decay = 0.995f}});
    float first = 0, last = 0;
    const int steps = 3000;
    for (int step = 0; step < steps; ++step) {
      const float loss = trainer.step(toy_2d("eight_gaussians", 512, data), noise);
      if (step < 100) first += loss / 100;
      if (step >= steps - 100) last += loss / 100;
    }
    const auto ema = trainer.ema_model();
    const auto p = make_process(process);
    const Tensor z = Generator(44).normal_rows({n, 2}, 0);
    const Tensor x = make_sampler("heun")->sample(*ema, *p, make_time_grid(*p, {.steps = 32}), z).x;
    const double sw = sliced_wasserstein(x, exact);
    INFO(process << ": loss " << first << " -> " << last << ", sliced W2 " << sw << " (floor "
                 << floor << ")");
    CHECK(last < first);
    // Threshold: 2x the exact-vs-exact floor (~0.036 here). 3000 steps reach ~1.3x (0.044
    // EDM, 0.047 flow); the same nets after 300 steps score ~6x (0.21, 0.22), so the test
    // separates a trained model from one that has only learned the data's scale.
    CHECK(sw < 2.0 * floor);
  }
}
