// Image layers over the core's NCHW ops: Conv2d and GroupNorm modules, initialized as
// PyTorch's (weights and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C/groups x
// kh x kw; GroupNorm weight 1, bias 0).
//
//   Conv2d conv({.in = 32, .out = 64, .kernel = 3, .padding = 1}, init);
//   GroupNorm norm({.groups = 8, .channels = 64});
//   Tensor y = norm.forward(conv.forward(x));   // x [N, 32, H, W] -> [N, 64, H, W]
#pragma once

#include "genlab/core/nn/module.h"
#include "genlab/core/ops.h"
#include "genlab/core/rng.h"

namespace genlab {

struct Conv2dLayerOptions {
  int64_t in = 0, out = 0, kernel = 3, stride = 1, padding = 0, groups = 1;
  bool bias = true;
  bool zero_init = false;  // weight and bias start at 0 (ADM's last convolutions)
};

class Conv2d : public Module {
 public:
  Conv2d(const Conv2dLayerOptions& options, Generator& init);
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }

 private:
  Conv2dLayerOptions o_;
  Tensor weight_, bias_;
};

struct GroupNormOptions {
  int64_t groups = 32, channels = 0;
  float eps = 1e-5f;
};

class GroupNorm : public Module {
 public:
  explicit GroupNorm(const GroupNormOptions& options);
  Tensor forward(const Tensor& x) const { return group_norm(x, o_.groups, weight_, bias_, o_.eps); }

 private:
  GroupNormOptions o_;
  Tensor weight_, bias_;
};

}  // namespace genlab
