#include "genlab/models/autoregressive/autoregressive.h"

#include <cmath>
#include <numeric>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {

Tensor bernoulli_log_prob(const Tensor& logits, const Tensor& x) {
  return sum(x * logits - softplus(logits), {1});
}

Tensor AutoregressiveModel::log_prob(const Tensor& x) const {
  return bernoulli_log_prob(logits(x), x);
}

Tensor AutoregressiveModel::training_log_prob(const Tensor& x, Generator&) const {
  return log_prob(x);
}

std::vector<int64_t> AutoregressiveModel::order() const {
  std::vector<int64_t> o(dims());
  std::iota(o.begin(), o.end(), 0);
  return o;
}

Tensor AutoregressiveModel::sample(int64_t n, Generator& rng) const {
  NoGradGuard no_grad;
  const int64_t d = dims();
  std::vector<float> x(n * d, 0.0f);
  // One full pass per dimension: the d-th pass fixes dimension order()[d] for all n.
  for (int64_t dim : order()) {
    const auto l = logits(Tensor::from_vector(x, {n, d})).to_vector();
    const auto u = rng.uniform({n}).to_vector();
    for (int64_t i = 0; i < n; ++i)
      x[i * d + dim] = u[i] < 1.0f / (1.0f + std::exp(-l[i * d + dim])) ? 1.0f : 0.0f;
  }
  return Tensor::from_vector(x, {n, d});
}

}  // namespace genlab
