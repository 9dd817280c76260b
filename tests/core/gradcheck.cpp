#include "tests/core/gradcheck.h"

#include <cmath>
#include <cstdio>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/rng.h"

namespace genlab::testing {

Tensor test_input(const Shape& shape, uint64_t seed, float lo, float hi, float gap) {
  Generator g(seed);
  std::vector<float> v = g.uniform(shape, lo, hi).to_vector();
  if (gap > 0)
    for (float& x : v)
      if (std::fabs(x) < gap) x = x < 0 ? x - gap : x + gap;
  return Tensor::from_vector(v, shape);
}

namespace {
double weighted_sum(const Tensor& y, const std::vector<float>& w) {
  const std::vector<float> v = y.to_vector();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * w[i];
  return s;
}
}  // namespace

GradCheckResult gradcheck(const OpFn& fn, std::vector<Tensor> inputs, std::vector<int> check,
                          double step, double atol, double rtol) {
  if (check.empty())
    for (size_t i = 0; i < inputs.size(); ++i) check.push_back(static_cast<int>(i));
  for (int i : check) inputs[i].requires_grad_(true);

  const Tensor y = fn(inputs);
  Generator wg(12345);
  const Tensor w = wg.uniform(y.shape(), 0.5f, 1.5f);
  const std::vector<float> wv = w.to_vector();
  std::vector<Tensor> wrt;
  for (int i : check) wrt.push_back(inputs[i]);
  const std::vector<Tensor> analytic = grad({y}, wrt, {w}, false, true);

  GradCheckResult result;
  NoGradGuard no_grad;
  for (size_t c = 0; c < check.size(); ++c) {
    Tensor& x = inputs[check[c]];
    const std::vector<float> a = analytic[c].to_vector();
    const std::vector<float> original = x.to_vector();
    double worst = 0;
    int64_t worst_i = -1;
    double worst_a = 0, worst_n = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      std::vector<float> v = original;
      v[i] = static_cast<float>(original[i] + step);
      const float up = v[i];
      x.copy_(Tensor::from_vector(v, x.shape()));
      const double plus = weighted_sum(fn(inputs), wv);
      v[i] = static_cast<float>(original[i] - step);
      const float down = v[i];
      x.copy_(Tensor::from_vector(v, x.shape()));
      const double minus = weighted_sum(fn(inputs), wv);
      const double numeric = (plus - minus) / (static_cast<double>(up) - down);
      const double excess = std::fabs(a[i] - numeric) - (atol + rtol * std::fabs(numeric));
      if (excess > worst) worst = excess, worst_i = i, worst_a = a[i], worst_n = numeric;
    }
    x.copy_(Tensor::from_vector(original, x.shape()));
    if (worst_i >= 0) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "input %d element %lld: analytic %.6g, numeric %.6g\n",
                    check[c], static_cast<long long>(worst_i), worst_a, worst_n);
      result.ok = false;
      result.report += buf;
    }
  }
  return result;
}

}  // namespace genlab::testing
