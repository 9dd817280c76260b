// The denoiser network for vector data: plain and residual, sinusoidal and Fourier
// embeddings: shapes, parameter names, gradients by finite differences, and that a
// residual net trains.
#include <catch2/catch.hpp>

#include "genlab/core/ops.h"
#include "genlab/experiments/data/toy_data.h"
#include "genlab/models/diffusion/denoiser_net.h"
#include "genlab/models/diffusion/trainer.h"
#include "tests/core/gradcheck.h"

using namespace genlab;

TEST_CASE("denoiser net variants: shapes, parameters, input gradients", "[diffusion]") {
  for (bool residual : {false, true})
    for (const char* embedding : {"sinusoidal", "fourier"}) {
      INFO((residual ? "residual " : "plain ") << embedding);
      Generator init(1);
      const DenoiserNet net({.dims = 3,
                             .width = 8,
                             .depth = 2,
                             .embedding = {.kind = embedding, .dim = 4},
                             .residual = residual},
                            init);
      const Tensor x = testing::test_input({5, 3}, 2), c = testing::test_input({5}, 3);
      CHECK(net.forward(x, c).shape() == Shape{5, 3});
      // plain (2 hidden layers): (3 + 4) x 8, 8 x 8, 8 x 3 with biases; residual: input 7 x 8, two
      // blocks of two 8 x 8 layers, output 8 x 3.
      CHECK(net.num_parameters() == (residual ? 7 * 8 + 8 + 4 * (64 + 8) + 8 * 3 + 3
                                              : 7 * 8 + 8 + 1 * (64 + 8) + 8 * 3 + 3));
      CHECK(net.named_parameters().front().first ==
            (residual ? "input.weight" : "mlp.layers.0.weight"));
      const auto r = testing::gradcheck(
          [&](const std::vector<Tensor>& in) { return net.forward(in[0], in[1]); }, {x, c});
      INFO(r.report);
      CHECK(r.ok);
    }
  Generator init(1);
  CHECK_THROWS_WITH(DenoiserNet({.embedding = {.kind = "learned"}}, init),
                    Catch::Matchers::Contains("sinusoidal, fourier"));
}

TEST_CASE("a residual denoiser net trains under the VP preconditioning", "[diffusion]") {
  Generator root(5);
  Generator init = root.derive("init"), data = root.derive("data"), noise = root.derive("noise");
  DiffusionModel model(
      {.process = "vp"},
      {.dims = 2, .width = 64, .depth = 2, .embedding = {.kind = "fourier"}, .residual = true}, init);
  DiffusionTrainer trainer(model, {.adam = {.lr = 2e-3f},
                                   .ema = {.half_life_samples = 5000, .batch_size = 256},
                                   .grad_clip = 1.0f});
  double first = 0, last = 0;
  for (int s = 0; s < 600; ++s) {
    const float loss = trainer.step(toy_2d("moons", 256, data), noise);
    if (s < 100) first += loss / 100;
    if (s >= 500) last += loss / 100;
  }
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.8 * first);
  CHECK(trainer.ema().decay() == Approx(std::pow(0.5, 256.0 / 5000)));
}
