// Optimizers against PyTorch trajectories (tests/core/golden/make_optim_golden.py),
// exact save/restore of optimizer state, EMA, schedules and gradient clipping.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/core/optim/ema.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/optim/schedule.h"
#include "genlab/core/optim/train_step.h"
#include "genlab/core/rng.h"

using namespace genlab;
using Catch::Matchers::Contains;

namespace {
const std::vector<float> kP0 = {0.5f, -1.0f, 2.0f, 0.1f, -0.3f, 0.8f};
const std::vector<float> kT = {1.0f, 0.5f, -0.5f, 0.0f, 0.2f, -1.0f};
const std::vector<float> kC = {1.0f, 2.0f, 0.5f, 3.0f, 1.5f, 0.25f};

void compute_grad(Tensor& p) {
  p.zero_grad();
  const Tensor t = Tensor::from_vector(kT, {2, 3}), c = Tensor::from_vector(kC, {2, 3});
  (sum(c * square(p - t)) + sum(pow(p, 4.0f)) * 0.1f).backward();
}

template <class Make>
void check_trajectory(Make make, const std::vector<std::vector<float>>& golden) {
  Tensor p = Tensor::from_vector(kP0, {2, 3}).requires_grad_();
  auto opt = make(NamedTensors{{"p", p}});
  for (size_t step = 0; step < golden.size(); ++step) {
    compute_grad(p);
    opt->step();
    const auto v = p.to_vector();
    for (size_t i = 0; i < v.size(); ++i) {
      INFO("step " << step + 1 << " element " << i);
      CHECK(v[i] == Approx(golden[step][i]).epsilon(1e-5).margin(2e-6));
    }
  }
}
}  // namespace

TEST_CASE("SGD with momentum, dampening and weight decay matches PyTorch", "[optim]") {
  check_trajectory([](NamedTensors p) {
    return std::make_unique<SGD>(p, SGDOptions{.lr = 0.05f, .momentum = 0.9f, .dampening = 0.1f, .weight_decay = 0.01f});
  }, {{0.547249973f, -0.679499984f, 1.71399999f, 0.0699300021f, -0.224310011f, 0.74436003f},
      {0.62732619f, -0.172786921f, 1.26556182f, 0.0239482746f, -0.0986030772f, 0.647277236f},
      {0.728209317f, 0.404527068f, 0.745462f, -0.0239123367f, 0.0549062192f, 0.51766634f},
      {0.836186707f, 0.9399212f, 0.213534161f, -0.06051955f, 0.21262455f, 0.36413908f}});
}

TEST_CASE("SGD with Nesterov momentum matches PyTorch", "[optim]") {
  check_trajectory([](NamedTensors p) {
    return std::make_unique<SGD>(p, SGDOptions{.lr = 0.05f, .momentum = 0.9f, .nesterov = true});
  }, {{0.590250015f, -0.39199999f, 1.45850003f, 0.042961996f, -0.156474009f, 0.695044041f},
      {0.698763192f, 0.208449006f, 0.923695505f, -0.00584555417f, 0.00645406172f, 0.557025909f},
      {0.807519019f, 0.697654068f, 0.421150655f, -0.0348392092f, 0.160056964f, 0.39646554f},
      {0.900990903f, 0.997610509f, -0.0432352908f, -0.042651847f, 0.283398837f, 0.221405044f}});
}

TEST_CASE("Adam with L2 weight decay matches PyTorch", "[optim]") {
  check_trajectory([](NamedTensors p) {
    return std::make_unique<Adam>(p, AdamOptions{.lr = 0.1f, .beta1 = 0.8f, .beta2 = 0.95f, .eps = 1e-6f, .weight_decay = 0.05f});
  }, {{0.599999905f, -0.900000036f, 1.89999998f, 1.71363354e-07f, -0.200000077f, 0.700000107f},
      {0.697611511f, -0.800440311f, 1.80056405f, -0.063675411f, -0.101620436f, 0.600643694f},
      {0.789480805f, -0.701633573f, 1.70206881f, -0.0638871118f, -0.00654894859f, 0.50230372f},
      {0.869971335f, -0.603905022f, 1.60487878f, -0.0315914266f, 0.0828702301f, 0.405300468f}});
}

TEST_CASE("AdamW with decoupled weight decay matches PyTorch", "[optim]") {
  check_trajectory([](NamedTensors p) {
    return std::make_unique<AdamW>(p, AdamOptions{.lr = 0.1f, .beta1 = 0.8f, .beta2 = 0.95f, .eps = 1e-6f, .weight_decay = 0.5f});
  }, {{0.574999869f, -0.850000024f, 1.79999995f, -0.00499983132f, -0.185000062f, 0.660000086f},
      {0.644859552f, -0.708231091f, 1.61141193f, -0.064370051f, -0.0777459592f, 0.527969301f},
      {0.708456397f, -0.574762881f, 1.43448937f, -0.0585344508f, 0.0201766491f, 0.403947949f},
      {0.764314711f, -0.449655175f, 1.26933467f, -0.0235883594f, 0.106651023f, 0.287841201f}});
}

TEST_CASE("AdamW parameter groups: no decay for biases, norms and embeddings", "[optim]") {
  // With zero gradients Adam's step is 0, so only the decay moves a parameter:
  // p <- p (1 - lr wd) for decayed ones, unchanged for the exempt ones.
  Tensor w = Tensor::full({2, 3}, 1.0f).requires_grad_();
  Tensor b = Tensor::full({3}, 1.0f).requires_grad_();
  const NamedTensors params{{"layer.weight", w}, {"layer.bias", b}};
  CHECK(no_decay_parameters(params) == std::set<std::string>{"layer.bias"});
  AdamW opt(params, {.lr = 0.1f, .weight_decay = 0.5f, .no_decay = no_decay_parameters(params)});
  for (int s = 0; s < 3; ++s) {
    w.set_grad(Tensor::zeros({2, 3}));
    b.set_grad(Tensor::zeros({3}));
    opt.step();
  }
  CHECK(w.to_vector()[0] == Approx(std::pow(1.0 - 0.1 * 0.5, 3)).epsilon(1e-6));
  CHECK(b.to_vector()[0] == 1.0f);
}

TEST_CASE("optimizer state saved mid-run resumes bitwise", "[optim]") {
  auto run = [](int steps_before, bool restart) {
    Tensor p = Tensor::from_vector(kP0, {2, 3}).requires_grad_();
    auto opt = std::make_unique<AdamW>(NamedTensors{{"p", p}}, AdamOptions{.lr = 0.05f, .weight_decay = 0.1f});
    for (int i = 0; i < steps_before; ++i) compute_grad(p), opt->step();
    if (restart) {
      const OptimizerState saved = opt->state_dict();
      const std::vector<float> values = p.to_vector();
      p = Tensor::from_vector(values, {2, 3}).requires_grad_();
      opt = std::make_unique<AdamW>(NamedTensors{{"p", p}}, AdamOptions{.lr = 0.05f, .weight_decay = 0.1f});
      opt->load_state_dict(saved);
      CHECK(opt->steps_taken() == steps_before);
    }
    for (int i = 0; i < 5; ++i) compute_grad(p), opt->step();
    return p.to_vector();
  };
  CHECK(run(3, true) == run(3, false));
  Tensor q = Tensor::zeros({2});
  AdamW other({{"q", q}}, {});
  Tensor p = Tensor::from_vector(kP0, {2, 3}).requires_grad_();
  AdamW opt({{"p", p}}, {});
  compute_grad(p);
  opt.step();
  CHECK_THROWS_WITH(other.load_state_dict(opt.state_dict()), Contains("unknown parameter 'p'"));
}

TEST_CASE("EMA follows its recurrence, and its half-life form matches EDM", "[optim]") {
  Tensor p = Tensor::from_vector({1.0f, 2.0f}, {2});
  EMA ema({{"p", p}}, {.decay = 0.9f, .warmup = false});
  p.copy_(Tensor::from_vector({3.0f, 0.0f}, {2}));
  ema.update({{"p", p}});
  const auto s = ema.shadow().at("p").to_vector();
  CHECK(s[0] == Approx(0.9 * 1 + 0.1 * 3));
  CHECK(s[1] == Approx(0.9 * 2));
  // EDM: beta = 0.5 ** (batch / half_life): after half_life samples the weight halves.
  const float d = ema_decay_from_half_life(500000, 512);
  CHECK(std::pow(static_cast<double>(d), 500000.0 / 512) == Approx(0.5).epsilon(1e-4));
}

TEST_CASE("EMA warm-up: min(decay, (1 + n) / (10 + n)) leaves nothing of the initial weights",
          "[optim]") {
  Tensor p = Tensor::from_vector({1.0f}, {1});
  EMA ema({{"p", p}}, {.decay = 0.999f});
  CHECK(ema.current_decay() == Approx(0.1));  // n = 0: 1 / 10
  p.copy_(Tensor::from_vector({0.0f}, {1}));
  // The shadow starts at the initial weight 1 and follows a parameter held at 0, so the
  // shadow is exactly the share of the initial weights that survives.
  double survive = 1;
  for (int n = 0; n < 2000; ++n) {
    survive *= std::min(0.999, (1.0 + n) / (10.0 + n));
    ema.update({{"p", p}});
  }
  CHECK(ema.current_decay() == Approx(2001.0 / 2010.0));  // still warming up: (1 + n) / (10 + n)
  CHECK(ema.shadow().at("p").to_vector()[0] == Approx(survive).epsilon(1e-3));
  CHECK(survive < 1e-6);  // without the warm-up: 0.999^2000 = 0.135
  EMA plain({{"p", Tensor::from_vector({1.0f}, {1})}}, {.decay = 0.999f, .warmup = false});
  for (int n = 0; n < 2000; ++n) plain.update({{"p", p}});
  CHECK(plain.shadow().at("p").to_vector()[0] == Approx(std::pow(0.999, 2000)).epsilon(1e-3));
}

TEST_CASE("learning-rate schedules", "[optim]") {
  LrSchedule constant({.kind = "constant", .lr = 0.1f});
  CHECK(constant.lr_at(1000) == 0.1f);
  LrSchedule warm({.kind = "linear_warmup", .lr = 1.0f, .warmup_steps = 4});
  CHECK(warm.lr_at(0) == Approx(0.25));
  CHECK(warm.lr_at(3) == Approx(1.0));
  CHECK(warm.lr_at(100) == Approx(1.0));
  LrSchedule cosine({.kind = "cosine", .lr = 1.0f, .warmup_steps = 10, .total_steps = 110, .min_lr = 0.1f});
  CHECK(cosine.lr_at(10) == Approx(1.0));
  CHECK(cosine.lr_at(60) == Approx(0.55));
  CHECK(cosine.lr_at(110) == Approx(0.1));
  CHECK(cosine.lr_at(500) == Approx(0.1));
  CHECK_THROWS_WITH(LrSchedule({.kind = "step"}), Contains("cosine"));
}

TEST_CASE("gradient clipping scales to the max norm", "[optim]") {
  Tensor a = Tensor::zeros({2}).requires_grad_(), b = Tensor::zeros({1}).requires_grad_();
  a.set_grad(Tensor::from_vector({3, 0}, {2}));
  b.set_grad(Tensor::from_vector({4}, {1}));
  CHECK(clip_grad_norm({a, b}, 1.0f) == Approx(5.0));
  CHECK(grad_norm({a, b}) == Approx(1.0).epsilon(1e-5));
  CHECK(a.grad().at(0) == Approx(0.6).epsilon(1e-5));
  CHECK(clip_grad_norm({a, b}, 10.0f) == Approx(1.0).epsilon(1e-5));  // below: unchanged
  CHECK(b.grad().at(0) == Approx(0.8).epsilon(1e-5));
}

TEST_CASE("TrainStep is the hand-written step: backward, clip, update, at the given rate", "[optim]") {
  // The loss of compute_grad(), as a function of p.
  auto loss_of = [](const Tensor& p) {
    const Tensor t = Tensor::from_vector(kT, {2, 3}), c = Tensor::from_vector(kC, {2, 3});
    return sum(c * square(p - t)) + sum(pow(p, 4.0f)) * 0.1f;
  };
  for (const float clip : {0.0f, 1.0f}) {
    Tensor by_hand = Tensor::from_vector(kP0, {2, 3}).requires_grad_();
    Tensor by_step = Tensor::from_vector(kP0, {2, 3}).requires_grad_();
    Adam adam(NamedTensors{{"p", by_hand}}, AdamOptions{.lr = 0.5f});
    TrainStep step(std::make_unique<Adam>(NamedTensors{{"p", by_step}}, AdamOptions{.lr = 0.5f}), {by_step},
                   {.grad_clip = clip});
    for (int i = 0; i < 5; ++i) {
      const float lr = 0.01f * static_cast<float>(i + 1);
      adam.set_lr(lr);
      adam.zero_grad();
      const Tensor loss = loss_of(by_hand);
      loss.backward();
      const float norm = clip > 0 ? clip_grad_norm({by_hand}, clip) : grad_norm({by_hand});
      adam.step();
      const TrainStep::Result r = step.run(loss_of(by_step), ShardedStep{}, lr, {2.5, -1.0});
      INFO("clip " << clip << ", step " << i);
      CHECK(r.loss == loss.item());
      CHECK(r.grad_norm == norm);
      CHECK(r.means == std::vector<double>{2.5, -1.0});  // one process: the means as given
      CHECK(by_step.to_vector() == by_hand.to_vector());  // bitwise
      CHECK(step.optimizer().lr() == lr);
    }
    if (clip > 0) CHECK(step.optimizer().steps_taken() == 5);
  }
}

TEST_CASE("a batch shard lasts one scope, also when the scope throws", "[optim][rng]") {
  Generator g(3);
  try {
    const BatchShardScope shard(g, {.first = 2, .rows = 2, .global_rows = 4});
    CHECK(g.batch_shard().rows == 2);
    throw std::runtime_error("a failing step");
  } catch (const std::runtime_error&) {
  }
  CHECK(g.batch_shard().rows == 0);
}
