// MADE (Germain et al. 2015): an MLP whose weights are masked so that output d sees only
// inputs before d in an ordering (docs/MATH.md section 2). Several mask sets can be kept
// (num_masks): each has its own ordering ("random") and hidden-unit degrees m(k), so
// training that cycles through them is order- and connectivity-agnostic, and at test time
// an ensemble averages their probabilities: log p = log mean_k p_k(x), never a mean of
// logits (that would be unnormalized and report a falsely good NLL).
//
//   MADE made({.dims = 784, .hidden = {500}}, init);
//   made.use_mask(k);                         // select a mask set
//   Tensor ll = made.ensemble_log_prob(x, 8); // [B]
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/layers.h"
#include "genlab/models/autoregressive/autoregressive.h"

namespace genlab {

struct MADEOptions {
  int64_t dims = 784;
  std::vector<int64_t> hidden = {500};
  std::string activation = "relu";
  InputOrdering ordering = InputOrdering::natural;  // random: a new ordering per mask set
  int num_masks = 1;                 // mask sets to train over and ensemble
  bool direct = false;               // direct input-to-output connections
  uint64_t mask_seed = 0;
};

class MADE : public AutoregressiveModel {
 public:
  MADE(const MADEOptions& options, Generator& init);
  int64_t dims() const override { return o_.dims; }
  Tensor logits(const Tensor& x) const override;
  std::vector<int64_t> order() const override { return orders_[current_]; }

  int num_masks() const { return o_.num_masks; }
  int current_mask() const { return current_; }
  void use_mask(int k);
  // log mean_k p_k(x) over mask sets 0..masks-1 (the current mask is restored), [B].
  Tensor ensemble_log_prob(const Tensor& x, int masks);
  // The degrees of the current mask set: input d -> position in the ordering (1..D).
  const std::vector<int64_t>& input_degrees() const { return degrees_[current_]; }

 private:
  MADEOptions o_;
  Activation act_;
  std::vector<std::shared_ptr<MaskedLinear>> hidden_;
  std::shared_ptr<MaskedLinear> output_, direct_;
  // Per mask set: ordering, input degrees, and one mask per layer (hidden..., output, direct).
  std::vector<std::vector<int64_t>> orders_, degrees_;
  std::vector<std::vector<Tensor>> masks_;
  int current_ = 0;
};

}  // namespace genlab
