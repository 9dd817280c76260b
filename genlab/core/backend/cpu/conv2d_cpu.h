// CPU kernels of the 2-D convolution and its two adjoints. With oneDNN (GENLAB_DNNL,
// conv2d_dnnl.h) they run there; without it, and as the reference oneDNN is tested
// against, on im2col per image and group followed by one GEMM (Eigen) per image and
// group: images in parallel, each GEMM on one thread (a single image lets Eigen thread
// the GEMM itself); 1x1 convolutions skip im2col. Both are bitwise reproducible for a
// given thread count.
#pragma once

#include "genlab/core/conv_geometry.h"

namespace genlab::cpu {

// out = conv(x, w) (+ bias per output channel when bias != nullptr).
void conv2d_forward(const float* x, const float* w, const float* bias, float* out,
                    const Conv2dGeometry& g);
// dx = the adjoint of x -> conv(x, w) applied to grad (the transpose convolution).
void conv2d_input_grad(const float* grad, const float* w, float* dx, const Conv2dGeometry& g);
// dw = the adjoint of w -> conv(x, w) applied to grad.
void conv2d_weight_grad(const float* x, const float* grad, float* dw, const Conv2dGeometry& g);

// Whether the kernels above run on oneDNN in this build.
bool conv2d_uses_dnnl();

// The im2col + GEMM kernels, whatever the build.
namespace im2col {
void forward(const float* x, const float* w, const float* bias, float* out, const Conv2dGeometry& g);
void input_grad(const float* grad, const float* w, float* dx, const Conv2dGeometry& g);
void weight_grad(const float* x, const float* grad, float* dw, const Conv2dGeometry& g);
}  // namespace im2col

}  // namespace genlab::cpu
