// Losses.
#include <stdexcept>

#include "genlab/core/ops_detail.h"

namespace genlab {

using namespace detail;

Tensor reduce(const Tensor& x, Reduction reduction) {
  switch (reduction) {
    case Reduction::none: return x;
    case Reduction::mean: return mean(x);
    case Reduction::sum: return sum(x);
  }
  return x;
}

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets, Reduction reduction) {
  if (logits.shape() != targets.shape())
    throw std::invalid_argument("bce_with_logits: logits " + shape_str(logits.shape()) +
                                " and targets " + shape_str(targets.shape()) + " differ");
  // Stable form: max(x, 0) - x t + log(1 + exp(-|x|)).
  const Tensor elementwise = record(
      binary_forward(BinaryOp::bce_with_logits, logits, targets, "bce_with_logits"),
      "bce_with_logits", {logits, targets},
      [logits, targets](const Tensor& g) -> std::vector<Tensor> {
        return {logits.requires_grad() ? g * (sigmoid(logits) - targets) : Tensor(),
                targets.requires_grad() ? neg(g * logits) : Tensor()};
      });
  return reduce(elementwise, reduction);
}

Tensor mse(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  if (prediction.shape() != target.shape())
    throw std::invalid_argument("mse: prediction " + shape_str(prediction.shape()) +
                                " and target " + shape_str(target.shape()) + " differ");
  return reduce(square(prediction - target), reduction);
}

}  // namespace genlab
