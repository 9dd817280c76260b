// FVSBN (fully visible sigmoid belief network): p(x_i = 1 | x_<i) = sigmoid(b_i +
// sum_{j<i} W_ij x_j), one strictly lower-triangular masked linear layer.
#pragma once

#include <memory>

#include "genlab/core/nn/layers.h"
#include "genlab/models/autoregressive/autoregressive.h"

namespace genlab {

class FVSBN : public AutoregressiveModel {
 public:
  FVSBN(int64_t dims, Generator& init);
  int64_t dims() const override { return dims_; }
  Tensor logits(const Tensor& x) const override;

 private:
  int64_t dims_;
  std::shared_ptr<MaskedLinear> linear_;
};

}  // namespace genlab
