// The 2-D toy data sets: shape, determinism by seed, and each set's defining geometry.
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/experiments/data/toy_data.h"

using namespace genlab;

TEST_CASE("toy data sets: shapes, seeds and geometry", "[data]") {
  for (const auto& name : toy_2d_names()) {
    INFO(name);
    Generator a(1), b(1), c(2);
    const Tensor x = toy_2d(name, 5000, a);
    CHECK(x.shape() == Shape{5000, 2});
    CHECK(max(abs(x - toy_2d(name, 5000, b)), {}).item() == 0.0f);
    CHECK(max(abs(x - toy_2d(name, 5000, c)), {}).item() > 0.1f);
    const auto m = mean(x, {0}).to_vector();
    const double spread = std::sqrt(mean(square(x)).item());
    CHECK(spread > 0.3);
    CHECK(spread < 2.0);
    CHECK(std::abs(m[0]) < 0.3);
  }
  Generator g(3);
  // Circles: radii 1 and 0.5 (noise 0.05).
  for (float r : sqrt(sum(square(toy_2d("circles", 1000, g)), {1})).to_vector())
    CHECK((std::abs(r - 1.0f) < 0.25f || std::abs(r - 0.5f) < 0.25f));
  // Eight Gaussians: radius 1 on average, E|x|^2 = 1 + 2 * 0.01.
  CHECK(mean(sum(square(toy_2d("eight_gaussians", 100000, g)), {1})).item() ==
        Approx(1.02).epsilon(0.01));
  // Checkerboard: in [-2, 2]^2 and only on squares where floor(x) + floor(y) is even.
  for (int i = 0; i < 10; ++i) {
    const auto p = toy_2d("checkerboard", 100, g).to_vector();
    for (size_t k = 0; k < p.size(); k += 2) {
      CHECK(std::abs(p[k]) <= 2.0f);
      CHECK(static_cast<int>(std::floor(p[k]) + std::floor(p[k + 1]) + 8) % 2 == 0);
    }
  }
  CHECK_THROWS_WITH(toy_2d("spiral", 10, g), Catch::Matchers::Contains("two_spirals"));
}
