// The Transformer's own checks (the generic autoregressive ones, test_autoregressive.cpp,
// run it too): KV-cached sampling draws exactly the samples of one full pass per token,
// finite-difference gradients through the whole stack, training reaches a known entropy,
// and bad shapes are named.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "genlab/core/options.h"
#include "genlab/core/autograd.h"
#include "genlab/core/backend.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/models/autoregressive/transformer.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using Catch::Matchers::Contains;

TEST_CASE("Transformer: KV-cached sampling equals a full pass per token, from the same draws",
          "[autoregressive][transformer]") {
  for (const TransformerMlp mlp : {TransformerMlp::gelu, TransformerMlp::swiglu}) {
    Generator init(11);
    const Transformer t({.dims = 24, .layers = 2, .width = 16, .heads = 2, .mlp = mlp,
                         .ordering = InputOrdering::random, .order_seed = 5},
                        init);
    Generator a(12), b(12);
    const Tensor cached = t.sample(32, a);
    const Tensor full = t.AutoregressiveModel::sample(32, b);  // one teacher-forced pass per token
    INFO(name_of(mlp));
    CHECK(max(abs(cached - full), {}).item() == 0.0f);
    CHECK(sum(cached).item() > 0.0f);  // not a degenerate all-zero sample
    CHECK(sum(cached).item() < 32 * 24);
  }
}

TEST_CASE("Transformer: gradients in x and in the parameters by finite differences",
          "[autoregressive][transformer]") {
  Generator init(13);
  const Transformer t({.dims = 5, .layers = 2, .width = 8, .heads = 2, .mlp = TransformerMlp::swiglu, .norm = NormKind::rmsnorm},
                      init);
  // The token embedding is linear in x, so the logits are smooth in a relaxed x.
  const auto rx = genlab::testing::gradcheck([&](const std::vector<Tensor>& in) { return t.logits(in[0]); },
                                             {genlab::testing::test_input({3, 5}, 14, 0, 1)});
  INFO(rx.report);
  CHECK(rx.ok);
  // Every parameter: d (sum of log p) against central differences of the loss.
  const Tensor x = Generator(15).bernoulli(Tensor::full({4, 5}, 0.5f));
  const auto params = t.named_parameters();
  const auto grads = grad({sum(t.log_prob(x))}, t.parameters());
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor p = params[i].second;
    float* v = p.data();
    const auto g = grads[i].to_vector();
    for (int64_t j = 0; j < std::min<int64_t>(p.numel(), 3); ++j) {
      const float keep = v[j], h = 1e-3f;
      v[j] = keep + h;
      const double up = sum(t.log_prob(x)).item();
      v[j] = keep - h;
      const double down = sum(t.log_prob(x)).item();
      v[j] = keep;
      const double numeric = (up - down) / (2 * h);
      INFO(params[i].first << "[" << j << "]: analytic " << g[j] << ", numeric " << numeric);
      CHECK(g[j] == Approx(numeric).margin(3e-3).epsilon(2e-2));
    }
  }
}

TEST_CASE("Transformer: training reaches the entropy of a two-pattern source",
          "[autoregressive][transformer]") {
  // Half the examples are 00000000, half 01010101: the entropy is ln 2 nats, which a
  // model that learns the first bit's coin and then copies the pattern reaches.
  const int64_t d = 8, n = 64;
  std::vector<float> data(n * d, 0.0f);
  for (int64_t i = 0; i < n; i += 2)
    for (int64_t j = 1; j < d; j += 2) data[(i + 1) * d + j] = 1.0f;
  const Tensor x = Tensor::from_vector(data, {n, d});
  Generator init(16);
  Transformer t({.dims = d, .layers = 1, .width = 16, .heads = 2}, init);
  Adam adam(t.named_parameters(), {.lr = 1e-2f});
  const double before = -mean(t.log_prob(x)).item();
  for (int step = 0; step < 400; ++step) {
    const Tensor loss = -mean(t.log_prob(x));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  const double after = -mean(t.log_prob(x)).item();
  INFO("NLL " << before << " -> " << after << " nats (entropy " << std::log(2.0) << ")");
  CHECK(after < std::log(2.0) + 0.05);
  CHECK(after > std::log(2.0) - 1e-3);  // a distribution cannot beat the entropy
  CHECK(before > 4.0);
}

TEST_CASE("Transformer LoRA: the same model at first, only the adapters train", "[autoregressive][transformer]") {
  Generator init(19);
  Transformer t({.dims = 8, .layers = 2, .width = 16, .heads = 2}, init);
  const Tensor x = Generator(20).bernoulli(Tensor::full({16, 8}, 0.3f));
  const Tensor before = t.log_prob(x);
  std::map<std::string, std::vector<float>> frozen;
  for (const auto& [n, p] : t.named_parameters()) frozen[n] = p.to_vector();
  Generator lora_init(21);
  t.add_lora({.rank = 2, .alpha = 4.0f}, {"qkv", "fc2"}, lora_init);
  CHECK(max(abs(t.log_prob(x) - before), {}).item() == 0.0f);
  // qkv: A [2, 16], B [48, 2]; fc2: A [2, 64], B [16, 2]; in each of 2 blocks.
  CHECK(t.num_trainable_parameters() == 2 * (2 * 16 + 48 * 2 + 2 * 64 + 16 * 2));
  Adam adam(t.trainable_parameters(), {.lr = 1e-2f});
  const double nll0 = -mean(t.log_prob(x)).item();
  for (int s = 0; s < 30; ++s) {
    const Tensor loss = -mean(t.log_prob(x));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  CHECK(-mean(t.log_prob(x)).item() < nll0 - 0.5);
  for (const auto& [n, p] : t.named_parameters())
    if (frozen.count(n)) {
      INFO(n);
      CHECK(p.to_vector() == frozen[n]);  // every base parameter bitwise unchanged
    }
  Generator g(1);
  CHECK_THROWS_WITH(t.add_lora({.rank = 2}, {"gate"}, g), Contains("not a Linear layer"));
}

TEST_CASE("Transformer: options and shapes are checked", "[autoregressive][transformer]") {
  Generator g(1);
  CHECK_THROWS_WITH(Transformer({.dims = 4, .width = 12, .heads = 4}, g), Contains("even head width"));
  // The choices are enums: a config names them (value_of lists the names otherwise).
  CHECK(value_of<TransformerMlp>("swiglu") == TransformerMlp::swiglu);
  CHECK_THROWS_WITH(value_of<TransformerMlp>("relu"), Contains("one of gelu, swiglu"));
  CHECK_THROWS_WITH(value_of<NormKind>("batchnorm"), Contains("one of layernorm, rmsnorm"));
  const Transformer t({.dims = 4, .width = 8, .heads = 2}, g);
  CHECK_THROWS_WITH(t.logits(Tensor::zeros({2, 5})), Contains("x must be [batch, 4]"));
}

TEST_CASE("gradient checkpointing: the same gradients from far less memory held",
          "[autoregressive][transformer][checkpoint]") {
  // Peak bytes held during loss + backward, with every block checkpointed and without;
  // the gradients must agree to float rounding.
  const TransformerOptions base{.dims = 64, .layers = 4, .width = 32, .heads = 4};
  const Tensor x = Generator(17).bernoulli(Tensor::full({32, 64}, 0.5f));
  auto run = [&](bool checkpointed, size_t& peak) {
    Generator init(18);
    TransformerOptions o = base;
    o.checkpoint = checkpointed;
    Transformer t(o, init);
    Backend& b = backend(Device::cpu);
    b.reset_peak_memory();
    const size_t before = b.memory_stats().in_use;
    const Tensor loss = -mean(t.log_prob(x));
    loss.backward();
    peak = b.memory_stats().peak_in_use - before;
    std::vector<Tensor> grads;
    for (const Tensor& p : t.parameters()) grads.push_back(p.grad());
    return std::pair{loss.item(), grads};
  };
  size_t plain_peak = 0, ckpt_peak = 0;
  const auto [plain_loss, plain_grads] = run(false, plain_peak);
  const auto [ckpt_loss, ckpt_grads] = run(true, ckpt_peak);
  INFO("peak bytes during loss + backward: " << plain_peak << " without, " << ckpt_peak
                                             << " with checkpointing");
  CHECK(ckpt_loss == plain_loss);
  REQUIRE(ckpt_grads.size() == plain_grads.size());
  for (size_t i = 0; i < plain_grads.size(); ++i) {
    REQUIRE(ckpt_grads[i].defined());
    CHECK(max(abs(ckpt_grads[i] - plain_grads[i]), {}).item() <= 1e-6f * (1.0f + max(abs(plain_grads[i]), {}).item()));
  }
  CHECK(ckpt_peak < plain_peak * 0.6);
  // Without recording, checkpoint is just the call.
  NoGradGuard no_grad;
  Generator init(18);
  TransformerOptions o = base;
  o.checkpoint = true;
  const Transformer t(o, init);
  CHECK(!t.logits(x).requires_grad());
}

TEST_CASE("Transformer dropout: evaluation unaffected, masks from the stream, replayed by checkpointing",
          "[autoregressive][transformer][dropout]") {
  const Tensor x = Generator(21).bernoulli(Tensor::full({8, 16}, 0.5f));
  auto make = [](float p, bool checkpointed) {
    Generator init(22);
    return std::make_unique<Transformer>(
        TransformerOptions{.dims = 16, .layers = 2, .width = 16, .heads = 2, .checkpoint = checkpointed, .dropout = p},
        init);
  };
  const auto plain = make(0.0f, false), dropped = make(0.3f, false), dropped_ckpt = make(0.3f, true);
  // Evaluation (log_prob, sampling) never drops: the same numbers as without dropout.
  CHECK(max(abs(dropped->log_prob(x) - plain->log_prob(x)), {}).item() == 0.0f);
  Generator s1(23), s2(23);
  CHECK(max(abs(dropped->sample(4, s1) - plain->sample(4, s2)), {}).item() == 0.0f);
  // With p = 0 the training pass is the evaluation pass and draws nothing.
  Generator untouched(24);
  CHECK(max(abs(plain->training_log_prob(x, untouched) - plain->log_prob(x)), {}).item() == 0.0f);
  CHECK(untouched.state() == Generator(24).state());
  // Training with p > 0: a function of the stream's state, different from evaluation, and
  // the stream moves on so the next step draws new masks.
  Generator a(25), b(25);
  const Tensor la = dropped->training_log_prob(x, a), lb = dropped->training_log_prob(x, b);
  CHECK(max(abs(la - lb), {}).item() == 0.0f);
  CHECK(max(abs(la - plain->log_prob(x)), {}).item() > 1e-3f);
  CHECK(!(a.state() == Generator(25).state()));
  CHECK(max(abs(dropped->training_log_prob(x, a) - la), {}).item() > 1e-3f);
  // Checkpointed blocks recompute with the masks their forward drew: the same loss and
  // gradients as the plain pass from the same stream state, and the stream ends equal.
  Generator c(26), d(26);
  const Tensor loss_plain = -mean(dropped->training_log_prob(x, c));
  const Tensor loss_ckpt = -mean(dropped_ckpt->training_log_prob(x, d));
  CHECK(loss_ckpt.item() == loss_plain.item());
  CHECK(c.state() == d.state());
  const auto g_plain = grad({loss_plain}, dropped->parameters());
  const auto g_ckpt = grad({loss_ckpt}, dropped_ckpt->parameters());
  for (size_t i = 0; i < g_plain.size(); ++i)
    CHECK(max(abs(g_ckpt[i] - g_plain[i]), {}).item() <= 1e-6f * (1.0f + max(abs(g_plain[i]), {}).item()));
  // The autoregressive property survives dropout (masks are per position and feature):
  // the gradient of logit d in inputs at or after d is exactly zero.
  Generator e(27);
  Tensor xr = Generator(28).uniform({2, 16}).requires_grad_();
  const Tensor l = dropped->logits(xr, &e);
  for (int64_t dim : {0, 7, 15}) {
    const auto g = grad({sum(slice(l, 1, dim, dim + 1))}, {xr})[0].to_vector();
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = dim; j < 16; ++j) CHECK(g[i * 16 + j] == 0.0f);
  }
  CHECK_THROWS_WITH(make(1.0f, false), Contains("dropout must be in [0, 1)"));
}
