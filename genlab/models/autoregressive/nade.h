// NADE (Larochelle & Murray 2011): h_i = sigmoid(c + W[:, <i] x_<i), p(x_i = 1 | x_<i) =
// sigmoid(b_i + V_i . h_i). The pre-activations are carried from one dimension to the
// next (a += W[:, i] x_i), so a pass costs O(D H), not D separate O(D H) passes; the
// teacher-forcing pass is one fused op (nade_logits.h).
#pragma once

#include "genlab/models/autoregressive/autoregressive.h"

namespace genlab {

class NADE : public AutoregressiveModel {
 public:
  NADE(int64_t dims, int64_t hidden, Generator& init);
  int64_t dims() const override { return dims_; }
  Tensor logits(const Tensor& x) const override;            // incremental, O(D H) per example
  Tensor logits_naive(const Tensor& x) const;               // h_i from scratch for each i (tests)
  Tensor logits_masked(const Tensor& x) const;  // a few large ops: what non-CPU devices run
  Tensor sample(int64_t n, Generator& rng) const override;  // incremental too

 private:
  int64_t dims_, hidden_;
  Tensor w_, c_, v_, b_;  // W [H, D], c [H], V [D, H], b [D]
};

}  // namespace genlab
