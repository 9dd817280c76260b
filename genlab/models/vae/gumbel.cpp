#include "genlab/models/vae/gumbel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

Tensor gumbel_softmax(const Tensor& logits, float tau, bool hard, const Tensor& noise) {
  if (!(tau > 0)) throw std::invalid_argument("gumbel_softmax: tau must be > 0");
  const int axis = logits.dim() - 1;
  const Tensor soft = softmax(mul_scalar(logits + noise, 1.0f / tau), axis);
  if (!hard) return soft;
  // Straight-through: the forward value is exactly one-hot (soft - soft is exactly 0 in
  // floating point), the gradient is the soft sample's.
  return hard_one_hot(soft) + (soft - soft.detach());
}

Tensor gumbel_softmax(const Tensor& logits, float tau, bool hard, Generator& rng) {
  return gumbel_softmax(logits, tau, hard, rng.gumbel(logits.shape(), logits.device()));
}

Tensor hard_one_hot(const Tensor& scores) {
  const Tensor s = scores.detach();
  // Ties have probability zero for continuous noise; eq would mark both.
  return eq(s, max(s, {s.dim() - 1}, /*keepdim=*/true));
}

Tensor categorical_kl_to_uniform(const Tensor& logits) {
  const int axis = logits.dim() - 1;
  const Tensor log_q = log_softmax(logits, axis);
  const double per_variable = std::log(static_cast<double>(logits.size(axis)));
  const int64_t variables = logits.numel() / logits.size(0) / logits.size(axis);
  const Tensor neg_entropy = sum(reshape(exp(log_q) * log_q, {logits.size(0), -1}), {1});
  return neg_entropy + static_cast<float>(per_variable * variables);
}

double annealed_temperature(double tau0, double tau_min, double rate, int64_t step) {
  return std::max(tau_min, tau0 * std::exp(-rate * static_cast<double>(step)));
}

}  // namespace genlab
