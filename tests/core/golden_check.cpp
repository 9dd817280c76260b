#include "tests/core/golden_check.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "tests/core/golden/image_ops_golden.h"

namespace genlab::testing {

Tensor golden_input(const Shape& shape, int seed) {
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(0.8 * std::sin(1.7 * static_cast<double>(i) + seed));
  return Tensor::from_vector(v, shape);
}

namespace {
void compare(const std::string& key, const Tensor& t, double tolerance) {
  INFO(key);
  const auto& golden = image_ops_golden();
  REQUIRE(golden.count(key) == 1);
  const std::vector<float>& expect = golden.at(key);
  const std::vector<float> got = t.to_vector();
  REQUIRE(got.size() == expect.size());
  double worst = 0;
  size_t worst_i = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(got[i] - expect[i]) / (1.0 + std::fabs(expect[i]));
    if (!(err <= worst)) worst = err, worst_i = i;
  }
  INFO("worst element " << worst_i << ": " << got[worst_i] << " against " << expect[worst_i]);
  CHECK(worst <= tolerance);
}
}  // namespace

void check_against_golden(const std::string& name, const std::vector<Shape>& shapes,
                          const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          double tolerance) {
  std::vector<Tensor> inputs;
  for (size_t k = 0; k < shapes.size(); ++k)
    inputs.push_back(golden_input(shapes[k], static_cast<int>(k) + 1).requires_grad_());
  const Tensor y = fn(inputs);
  compare(name + ".y", y, tolerance);
  const auto grads = grad({sum(mul(y, golden_input(y.shape(), 99)))}, inputs);
  for (size_t k = 0; k < grads.size(); ++k)
    compare(name + ".d" + std::to_string(k), grads[k], tolerance);
}

}  // namespace genlab::testing
