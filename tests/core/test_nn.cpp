// nn modules: registration by dotted name, state round trips, each layer's forward
// against a hand computation, and gradients through layers by finite differences.
#include <catch2/catch.hpp>

#include <cmath>

#include "genlab/core/autograd.h"
#include "genlab/core/nn/embeddings.h"
#include "genlab/core/nn/layers.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using Catch::Matchers::Contains;
using genlab::testing::gradcheck;
using genlab::testing::test_input;

namespace {
class Net : public Module {
 public:
  explicit Net(Generator& g) {
    net_ = register_module("net", std::make_shared<MLP>(MLPOptions{.in = 3, .out = 4, .width = 8, .depth = 2}, g));
    norm_ = register_module("norm", std::make_shared<LayerNorm>(LayerNormOptions{.dim = 3}));
  }
  Tensor forward(const Tensor& x) const { return net_->forward(norm_->forward(x)); }
  std::shared_ptr<MLP> net_;
  std::shared_ptr<LayerNorm> norm_;
};
}  // namespace

TEST_CASE("parameters are registered by dotted name, in order", "[nn]") {
  Generator g(0);
  Net net(g);
  std::vector<std::string> names;
  for (auto& [n, _] : net.named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"net.layers.0.weight", "net.layers.0.bias", "net.layers.1.weight",
                                          "net.layers.1.bias", "net.layers.2.weight", "net.layers.2.bias",
                                          "norm.weight", "norm.bias"});
  CHECK(net.num_parameters() == (3 * 8 + 8) + (8 * 8 + 8) + (8 * 4 + 4) + 3 + 3);
  net.eval();
  CHECK_FALSE(net.net_->is_training());
  net.train();
  CHECK(net.norm_->is_training());
}

TEST_CASE("state dicts round-trip and mismatches are named", "[nn]") {
  Generator g1(1), g2(2);
  Net a(g1), b(g2);
  const Tensor x = test_input({4, 3}, 3);
  CHECK(a.forward(x).to_vector() != b.forward(x).to_vector());
  b.load_state_dict(a.state_dict());
  CHECK(a.forward(x).to_vector() == b.forward(x).to_vector());
  auto state = a.state_dict();
  state["net.layers.1.weight"] = Tensor::zeros({2, 2});
  CHECK_THROWS_WITH(b.load_state_dict(state), Contains("net.layers.1.weight") && Contains("[2, 2]"));
  state.erase("net.layers.1.weight");
  CHECK_THROWS_WITH(b.load_state_dict(state), Contains("missing") && Contains("net.layers.1.weight"));
}

TEST_CASE("Linear computes x W^T + b with PyTorch's initialization bounds", "[nn]") {
  Generator g(4);
  Linear lin({.in = 3, .out = 2}, g);
  CHECK(lin.weight().shape() == Shape{2, 3});
  const auto w = lin.weight().to_vector(), b = lin.bias().to_vector();
  for (float v : w) CHECK(std::fabs(v) <= 1.0f / std::sqrt(3.0f));
  const Tensor x = Tensor::from_vector({1, 2, 3, -1, 0, 2}, {2, 3});
  const auto y = lin.forward(x).to_vector();
  const float xs[2][3] = {{1, 2, 3}, {-1, 0, 2}};
  for (int r = 0; r < 2; ++r)
    for (int o = 0; o < 2; ++o)
      CHECK(y[r * 2 + o] == Approx(xs[r][0] * w[o * 3] + xs[r][1] * w[o * 3 + 1] + xs[r][2] * w[o * 3 + 2] + b[o]));
  CHECK(lin.forward(test_input({5, 4, 3}, 1)).shape() == Shape{5, 4, 2});
  CHECK_THROWS_WITH(lin.forward(Tensor::zeros({2, 4})), Contains("Linear") && Contains("[2, 4]"));
}

TEST_CASE("MaskedLinear: masked weights neither act nor learn", "[nn]") {
  Generator g(5);
  MaskedLinear lin({.in = 3, .out = 2}, g);
  lin.set_mask(Tensor::from_vector({1, 0, 0, 1, 1, 0}, {2, 3}));
  Tensor x = test_input({4, 3}, 6).requires_grad_();
  Tensor y = lin.forward(x);
  sum(y * y).backward();
  const auto gw = lin.weight().grad().to_vector();
  CHECK(gw[1] == 0.0f);
  CHECK(gw[2] == 0.0f);
  CHECK(gw[5] == 0.0f);
  CHECK(gw[0] != 0.0f);
  // Output 0 depends on input 0 only.
  const Tensor dx = grad({sum(slice(lin.forward(x), 1, 0, 1))}, {x})[0];
  const auto d = dx.to_vector();
  for (int r = 0; r < 4; ++r) CHECK((d[r * 3 + 1] == 0.0f && d[r * 3 + 2] == 0.0f));
}

TEST_CASE("LayerNorm normalizes the last axis", "[nn]") {
  LayerNorm ln({.dim = 5});
  const Tensor y = ln.forward(test_input({3, 5}, 7, -4, 9));
  const auto m = mean(y, {1}).to_vector(), v = mean(square(y), {1}).to_vector();
  for (int i = 0; i < 3; ++i) {
    CHECK(m[i] == Approx(0).margin(1e-5));
    CHECK(v[i] == Approx(1).margin(1e-3));
  }
}

TEST_CASE("RMSNorm: unit root mean square over the last axis, gradients by finite differences",
          "[nn]") {
  RMSNorm rn({.dim = 5});
  const Tensor x = test_input({3, 5}, 9, -4, 9);
  const Tensor y = rn.forward(x);
  const auto ms = mean(square(y), {1}).to_vector();
  for (int i = 0; i < 3; ++i) CHECK(ms[i] == Approx(1).margin(1e-4));
  // Not centered: a constant row keeps its sign (LayerNorm would zero it).
  CHECK(rn.forward(Tensor::full({1, 5}, 2.0f)).to_vector()[0] == Approx(1.0f).margin(1e-5));
  // Gradients in x and in the weight.
  const auto r = genlab::testing::gradcheck(
      [](const std::vector<Tensor>& in) {
        return in[0] / sqrt(mean(square(in[0]), {-1}, true) + 1e-6f) * in[1];
      },
      {test_input({4, 6}, 10, -2, 2, 0.1f), test_input({6}, 11, 0.5f, 1.5f)});
  CHECK(r.ok);
  INFO(r.report);
  Generator g(3);
  RMSNorm module({.dim = 6});
  const Tensor xin = test_input({4, 6}, 10, -2, 2, 0.1f);
  const auto direct = genlab::testing::gradcheck(
      [&](const std::vector<Tensor>& in) { return module.forward(in[0]); }, {xin});
  CHECK(direct.ok);
  CHECK_THROWS_WITH(rn.forward(Tensor::zeros({2, 4})), Contains("expected last axis 5"));
}

TEST_CASE("LoRA on a Linear layer: starts equal, trains only A and B, adds (alpha/r) B A x", "[nn]") {
  Generator g(21);
  Linear lin({.in = 5, .out = 3}, g);
  const Tensor x = test_input({4, 5}, 22);
  const Tensor before = lin.forward(x);
  const auto w0 = lin.weight().to_vector(), b0 = lin.bias().to_vector();
  lin.add_lora({.rank = 2, .alpha = 4.0f}, g);
  CHECK(max(abs(lin.forward(x) - before), {}).item() == 0.0f);  // B = 0
  CHECK(lin.num_trainable_parameters() == 2 * 5 + 3 * 2);
  CHECK(lin.num_parameters() == 3 * 5 + 3 + 2 * 5 + 3 * 2);
  SGD sgd(lin.trainable_parameters(), {.lr = 0.1f});
  for (int s = 0; s < 3; ++s) {
    sgd.zero_grad();
    sum(square(lin.forward(x) - 1.0f)).backward();
    sgd.step();
  }
  CHECK(lin.weight().to_vector() == w0);  // frozen, bitwise
  CHECK(lin.bias().to_vector() == b0);
  const auto sd = lin.state_dict();
  const Tensor a = sd.at("lora_A"), b = sd.at("lora_B");
  CHECK(max(abs(b), {}).item() > 0.0f);
  // y = x W^T + bias + (alpha / rank) x A^T B^T
  const Tensor expect = matmul(x, lin.weight(), false, true) + lin.bias() +
                        matmul(matmul(x, a, false, true), b, false, true) * 2.0f;
  CHECK(max(abs(lin.forward(x) - expect), {}).item() < 1e-6f);
  CHECK_THROWS_WITH(lin.add_lora({.rank = 2}, g), Contains("added twice"));
}

TEST_CASE("Embedding looks rows up", "[nn]") {
  Generator g(8);
  Embedding emb({.num = 4, .dim = 3}, g);
  const Tensor out = emb.forward(Tensor::from_indices({2, 0, 2}, {3}));
  CHECK(out.shape() == Shape{3, 3});
  const auto w = emb.weight().to_vector(), o = out.to_vector();
  for (int j = 0; j < 3; ++j) CHECK((o[j] == w[6 + j] && o[3 + j] == w[j] && o[6 + j] == w[6 + j]));
  // Indices are int32: a float tensor, or an index past the table, is an error.
  CHECK_THROWS_WITH(emb.forward(Tensor::from_vector({2, 0}, {2})), Contains("int32"));
  CHECK_THROWS_WITH(emb.forward(Tensor::from_indices({4}, {1})), Contains("index 4") && Contains("out of range [0, 4)"));
  // 2-D index tensors keep their shape: [2, 2] -> [2, 2, 3].
  CHECK(emb.forward(Tensor::from_indices({0, 1, 2, 3}, {2, 2})).shape() == Shape{2, 2, 3});
}

TEST_CASE("noise-level embeddings", "[nn]") {
  SinusoidalEmbedding sin_emb({.dim = 4, .max_period = 100.0f});
  const auto e = sin_emb.forward(Tensor::from_vector({0.0f, 2.0f}, {2})).to_vector();
  // frequencies 1 and 100^(-1/2) = 0.1: [cos(t), cos(0.1 t), sin(t), sin(0.1 t)]
  const std::vector<double> expect = {1, 1, 0, 0, std::cos(2.0), std::cos(0.2), std::sin(2.0), std::sin(0.2)};
  for (size_t i = 0; i < expect.size(); ++i) CHECK(e[i] == Approx(expect[i]).margin(1e-6));
  Generator g(9);
  FourierEmbedding four({.dim = 6, .scale = 2.0f}, g);
  const Tensor f = four.forward(Tensor::from_vector({0.3f, -1.0f}, {2, 1}));
  CHECK(f.shape() == Shape{2, 6});
  const auto fv = f.to_vector();
  for (int r = 0; r < 2; ++r)
    for (int k = 0; k < 3; ++k) CHECK(fv[r * 6 + k] * fv[r * 6 + k] + fv[r * 6 + 3 + k] * fv[r * 6 + 3 + k] == Approx(1));
  CHECK(four.num_parameters() == 0);
  CHECK(four.named_buffers().size() == 1);
}

TEST_CASE("gradients through whole layers match finite differences", "[nn][grad]") {
  Generator g(10);
  auto net = std::make_shared<Net>(g);
  for (auto& [name, p] : net->named_parameters()) {
    SECTION(name) {
      // The parameter itself is the checked input: gradcheck perturbs it in place.
      auto fn = [&](const std::vector<Tensor>&) { return net->forward(test_input({5, 3}, 11)); };
      const auto r = gradcheck(fn, {p});
      INFO(r.report);
      CHECK(r.ok);
    }
  }
  SECTION("input, through gelu and sinusoidal embedding") {
    SinusoidalEmbedding emb({.dim = 8});
    MLP mlp({.in = 8, .out = 3, .width = 6, .depth = 2, .activation = "gelu"}, g);
    auto fn = [&](const std::vector<Tensor>& v) { return mlp.forward(emb.forward(v[0])); };
    const auto r = gradcheck(fn, {test_input({4}, 12, -1, 1)});
    INFO(r.report);
    CHECK(r.ok);
  }
  CHECK_THROWS_WITH(parse_activation("swish"), Contains("allowed") && Contains("silu"));
}
