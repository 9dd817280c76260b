// The image U-Net: shapes, batch independence, gradients against finite differences,
// dropout from the generator, and configuration errors.
#include <catch2/catch.hpp>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/models/diffusion/unet.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using genlab::testing::gradcheck;
using genlab::testing::test_input;
using Catch::Matchers::Contains;

namespace {

UNetOptions tiny() {
  UNetOptions o;
  o.image = {2, 8, 8};
  o.channels = 4;
  o.channel_mult = {1, 2};
  o.blocks_per_level = 1;
  o.attention_resolutions = {4};
  o.attention_heads = 2;
  o.norm_groups = 2;
  o.embedding.dim = 8;
  return o;
}

// The zero-initialized convolutions make a fresh U-Net output 0; random values everywhere
// make the checks below see every path.
void randomize(UNet& net) {
  uint64_t seed = 100;
  for (const Tensor& p : net.parameters()) {
    Tensor t = p;
    t.copy_(test_input(p.shape(), seed++, -0.5f, 0.5f));
  }
}

}  // namespace

TEST_CASE("U-Net: flat or NCHW images in, the same shape out, and zero at initialization",
          "[unet]") {
  Generator init(1);
  UNet net(tiny(), init);
  const Tensor x = test_input({3, 128}, 1), c = test_input({3}, 2);
  const Tensor y = net.forward(x, c);
  CHECK(y.shape() == Shape{3, 128});
  CHECK(max(abs(y), {}).item() == 0.0f);  // output convolution starts at zero (ADM)
  randomize(net);
  CHECK(net.forward(reshape(x, {3, 2, 8, 8}), c).shape() == Shape{3, 2, 8, 8});
  CHECK(net.parameter_count() > 1000);
  CHECK_THROWS_WITH(net.forward(test_input({3, 100}, 1), c), Contains("not a batch of images"));
}

TEST_CASE("U-Net: each image's output depends on that image alone", "[unet]") {
  Generator init(2);
  UNet net(tiny(), init);
  randomize(net);
  const Tensor x = test_input({4, 128}, 3), c = test_input({4}, 4);
  const auto all = net.forward(x, c).to_vector();
  const auto one = net.forward(slice(x, 0, 2, 3), slice(c, 0, 2, 3)).to_vector();
  for (size_t i = 0; i < one.size(); ++i) REQUIRE(one[i] == Approx(all[2 * 128 + i]).margin(1e-5));
}

TEST_CASE("U-Net: gradients with respect to input and noise level match finite differences",
          "[unet]") {
  Generator init(3);
  auto net = std::make_shared<UNet>(tiny(), init);
  randomize(*net);
  const auto result = gradcheck(
      [net](const std::vector<Tensor>& v) { return net->forward(v[0], v[1]); },
      {test_input({2, 128}, 5), test_input({2}, 6, 0.1f, 1.0f)}, {}, 1e-2, 5e-3, 2e-2);
  INFO(result.report);
  CHECK(result.ok);
  // And with respect to a weight deep inside (the middle attention's projection).
  Tensor w;
  for (const auto& [name, p] : net->named_parameters())
    if (name.find("proj.weight") != std::string::npos) w = p;
  REQUIRE(w.defined());
  const Tensor x = test_input({2, 128}, 7), c = test_input({2}, 8);
  const Tensor g = grad({sum(square(net->forward(x, c)))}, {w})[0];
  CHECK(max(abs(g), {}).item() > 0.0f);
}

TEST_CASE("U-Net: dropout draws from the generator it is given, none without one", "[unet]") {
  UNetOptions o = tiny();
  o.dropout = 0.3f;
  Generator init(4);
  UNet net(o, init);
  randomize(net);
  const Tensor x = test_input({2, 128}, 9), c = test_input({2}, 10);
  CHECK(net.forward(x, c).to_vector() == net.forward(x, c).to_vector());
  Generator a(5), b(5);
  const auto da = net.forward(x, c, &a).to_vector();
  CHECK(da == net.forward(x, c, &b).to_vector());  // same stream, same masks
  CHECK(da != net.forward(x, c).to_vector());
}

TEST_CASE("U-Net configuration errors say what is wrong", "[unet]") {
  Generator init(5);
  UNetOptions o = tiny();
  o.image = {1, 7, 8};
  CHECK_THROWS_WITH(UNet(o, init), Contains("does not divide"));
  o = tiny();
  o.attention_heads = 3;
  CHECK_THROWS_WITH(UNet(o, init), Contains("attention heads"));
  o = tiny();
  o.embedding.kind = "learned";
  CHECK_THROWS_WITH(UNet(o, init), Contains("unknown embedding"));
}
