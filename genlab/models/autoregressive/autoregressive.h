// Autoregressive models on binary vectors, p(x) = prod_i p(x_i | x_<i) (docs/MATH.md section
// 2): exact log-likelihood and batched ancestral sampling. FVSBN, NADE and MADE implement
// this interface; the runner's autoregressive family trains any of them.
//
//   Tensor ll = model.log_prob(x);        // x [B, D] in {0, 1} -> [B] nats, differentiable
//   Tensor s = model.sample(64, rng);     // [64, D], no-grad
#pragma once

#include <string>
#include <vector>

#include "genlab/core/nn/module.h"
#include "genlab/core/rng.h"

namespace genlab {

// The order in which a model factorizes its inputs: natural (0, 1, ...) or a random
// permutation (MADE: a new one per mask set; the Transformer: one fixed by its seed).
enum class InputOrdering { natural, random };
inline const std::vector<std::string>& names_of(InputOrdering) {
  static const std::vector<std::string> names{"natural", "random"};
  return names;
}

class AutoregressiveModel : public Module {
 public:
  virtual int64_t dims() const = 0;
  // Logits of p(x_d = 1 | x_<d) for every d at once, [B, D] (teacher forcing).
  virtual Tensor logits(const Tensor& x) const = 0;
  // log p(x) in nats, [B].
  virtual Tensor log_prob(const Tensor& x) const;
  // log p(x) as a training step sees it: a model with dropout draws its masks from `noise`
  // (the run's checkpointed noise stream, so a resumed run draws the same masks); the
  // others ignore it and give log_prob(x).
  virtual Tensor training_log_prob(const Tensor& x, Generator& noise) const;
  // Ancestral sampling in the model's order, [n, D].
  virtual Tensor sample(int64_t n, Generator& rng) const;
  // The order in which dimensions are generated (a permutation of 0..D-1).
  virtual std::vector<int64_t> order() const;
};

// sum_d x_d l_d - softplus(l_d): the Bernoulli log-likelihood of x under logits l, [B].
Tensor bernoulli_log_prob(const Tensor& logits, const Tensor& x);

}  // namespace genlab
