// What every sampler sees of a model: D(x; sigma) ~ E[x0 | x0 + sigma eps = x].
// Trained networks (behind their preconditioning) and exact references implement it.
#pragma once

#include "genlab/core/tensor.h"

namespace genlab {

class Denoiser {
 public:
  virtual ~Denoiser() = default;
  // x [batch, dims], sigma [batch] -> [batch, dims]
  virtual Tensor denoise(const Tensor& x, const Tensor& sigma) const = 0;
  virtual int64_t dims() const = 0;
};

}  // namespace genlab
