// The sizes of one 2-D convolution, NCHW: input [batch, in_channels, in_h, in_w],
// weight [out_channels, in_channels / groups, kernel_h, kernel_w], output
// [batch, out_channels, out_h, out_w]. The same geometry describes the convolution's
// two adjoints (conv_transpose2d is the input gradient; the weight gradient), so the
// backends take it whole.
#pragma once

#include <cstdint>

#include "genlab/core/host_device.h"

namespace genlab {

struct Conv2dGeometry {
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0, out_h = 0, out_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;

  GENLAB_HD int64_t in_per_group() const { return in_channels / groups; }
  GENLAB_HD int64_t out_per_group() const { return out_channels / groups; }
  // Rows of one group's column matrix: the values one output pixel reads.
  GENLAB_HD int64_t patch() const { return in_per_group() * kernel_h * kernel_w; }
  GENLAB_HD int64_t in_pixels() const { return in_h * in_w; }
  GENLAB_HD int64_t out_pixels() const { return out_h * out_w; }
  // A 1x1 convolution with stride 1 and no padding is a plain matrix product per image:
  // the input is its own column matrix.
  GENLAB_HD bool pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 &&
           pad_w == 0;
  }
  // Multiply-adds of the forward pass (each backward costs the same).
  GENLAB_HD double macs() const {
    return static_cast<double>(batch) * out_channels * out_pixels() * patch();
  }
};

// Attention sizes: q [heads, queries, head_dim], k and v [heads, keys, head_dim], with
// heads = batch x heads folded; causal masks key j > query i (top-left aligned, as
// PyTorch's is_causal).
struct AttentionGeometry {
  int64_t heads = 0, queries = 0, keys = 0, head_dim = 0;
  float scale = 1.0f;
  bool causal = false;
};

}  // namespace genlab
