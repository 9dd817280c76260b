// The convolution kernels of conv2d_cpu.h on oneDNN (Debian's libdnnl, the library
// PyTorch's CPU convolutions run on), built when CMake finds it (GENLAB_DNNL).
// Primitives are created once per geometry and cached; tensors stay NCHW / OIHW in
// genlab and are reordered to oneDNN's blocked layouts around each call.
#pragma once

#include "genlab/core/conv_geometry.h"

namespace genlab::cpu::dnnl_conv {

void forward(const float* x, const float* w, const float* bias, float* out, const Conv2dGeometry& g);
void input_grad(const float* grad, const float* w, float* dx, const Conv2dGeometry& g);
void weight_grad(const float* x, const float* grad, float* dw, const Conv2dGeometry& g);

}  // namespace genlab::cpu::dnnl_conv
