#include "genlab/models/autoregressive/fvsbn.h"

#include <stdexcept>

namespace genlab {

FVSBN::FVSBN(int64_t dims, Generator& init) : dims_(dims) {
  if (dims < 1) throw std::invalid_argument("FVSBN: dims must be >= 1");
  linear_ =
      register_module("linear", std::make_shared<MaskedLinear>(LinearOptions{dims, dims}, init));
  std::vector<float> mask(dims * dims, 0.0f);
  for (int64_t i = 0; i < dims; ++i)
    for (int64_t j = 0; j < i; ++j) mask[i * dims + j] = 1.0f;
  linear_->set_mask(Tensor::from_vector(mask, {dims, dims}));
}

Tensor FVSBN::logits(const Tensor& x) const {
  return linear_->forward(x);
}

}  // namespace genlab
