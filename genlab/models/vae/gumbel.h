// Gumbel-Softmax (Jang et al. 2017; Maddison et al. 2017; docs/MATH.md section 1): a relaxed,
// differentiable sample of categorical variables, y = softmax((logits + g) / tau) with
// g_i = -log(-log u_i), and its straight-through form (one-hot forward, soft gradient).
// Also the KL of a categorical posterior to the uniform prior and tau's annealing.
//
//   Tensor y = gumbel_softmax(logits, 0.5f, /*hard=*/true, rng);  // logits [..., K]
#pragma once

#include "genlab/core/rng.h"
#include "genlab/core/tensor.h"

namespace genlab {

// Over the last axis. `noise` is the Gumbel draw (same shape as logits), given
// explicitly by tests; the other overload draws it from rng.
Tensor gumbel_softmax(const Tensor& logits, float tau, bool hard, const Tensor& noise);
Tensor gumbel_softmax(const Tensor& logits, float tau, bool hard, Generator& rng);

// one_hot(argmax) over the last axis, no gradient. With logits + Gumbel noise this is an
// exact categorical draw (the Gumbel-max trick).
Tensor hard_one_hot(const Tensor& scores);

// KL(Cat(softmax(logits)) || Uniform(K)) summed over every axis but the first: [B].
Tensor categorical_kl_to_uniform(const Tensor& logits);

// tau = max(tau_min, tau0 exp(-rate * step)).
double annealed_temperature(double tau0, double tau_min, double rate, int64_t step);

}  // namespace genlab
