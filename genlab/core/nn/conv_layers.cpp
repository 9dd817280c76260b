#include "genlab/core/nn/conv_layers.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace genlab {

Conv2d::Conv2d(const Conv2dLayerOptions& o, Generator& init) : o_(o) {
  if (o.in < 1 || o.out < 1 || o.kernel < 1 || o.stride < 1 || o.padding < 0 || o.groups < 1 ||
      o.in % o.groups || o.out % o.groups)
    throw std::invalid_argument("Conv2d: in, out, kernel, stride >= 1, padding >= 0, and in and "
                                "out divisible by groups required");
  const Shape w = {o.out, o.in / o.groups, o.kernel, o.kernel};
  const float bound = 1.0f / std::sqrt(static_cast<float>(w[1] * o.kernel * o.kernel));
  weight_ = register_parameter("weight", o.zero_init ? Tensor::zeros(w) : init.uniform(w, -bound, bound));
  if (o.bias)
    bias_ = register_parameter("bias", o.zero_init ? Tensor::zeros({o.out})
                                                   : init.uniform({o.out}, -bound, bound));
}

Tensor Conv2d::forward(const Tensor& x) const {
  Conv2dOptions c;
  c.stride = o_.stride;
  c.padding = o_.padding;
  c.groups = o_.groups;
  return conv2d(x, weight_, bias_, c);
}

GroupNorm::GroupNorm(const GroupNormOptions& o) : o_(o) {
  if (o.groups < 1 || o.channels < 1 || o.channels % o.groups)
    throw std::invalid_argument("GroupNorm: " + std::to_string(o.channels) +
                                " channels do not split into " + std::to_string(o.groups) + " groups");
  weight_ = register_parameter("weight", Tensor::ones({o.channels}));
  bias_ = register_parameter("bias", Tensor::zeros({o.channels}));
}

}  // namespace genlab
