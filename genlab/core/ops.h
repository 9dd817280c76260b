// Differentiable tensor ops. Each is defined in one genlab/core/ops_*.cpp file with its
// backward rule beside its forward; binary ops broadcast with NumPy rules and throw
// naming the op and both shapes when they cannot.
//
//   Tensor h = silu(add(matmul(x, w, false, true), b));   // x W^T + b
//   Tensor loss = mse(h, target);
#pragma once

#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

class Generator;

enum class Reduction { none, mean, sum };

// ---- elementwise, broadcasting ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // d/db needs a > 0
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // cond != 0 ? a : b

// Comparisons give 0/1 masks and carry no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);

// ---- elementwise, one input ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x, bool tanh_approximation = false);
Tensor softplus(const Tensor& x);
Tensor log_sigmoid(const Tensor& x);
Tensor pow(const Tensor& x, float exponent);
Tensor clamp(const Tensor& x, float lo, float hi);
Tensor add_scalar(const Tensor& x, float c);
Tensor mul_scalar(const Tensor& x, float c);
Tensor sign(const Tensor& x);   // no gradient
Tensor floor(const Tensor& x);  // no gradient

// f'(x) * g for an activation f, as ops of their own (fused single-sweep kernels
// used by the backward rules above; differentiable again for gradients of gradients).
Tensor silu_backward(const Tensor& x, const Tensor& g);
Tensor sigmoid_backward(const Tensor& x, const Tensor& g);
Tensor tanh_backward(const Tensor& x, const Tensor& g);
Tensor gelu_backward(const Tensor& x, const Tensor& g, bool tanh_approximation);
Tensor softplus_backward(const Tensor& x, const Tensor& g);
Tensor log_sigmoid_backward(const Tensor& x, const Tensor& g);
Tensor relu_backward(const Tensor& x, const Tensor& g);
Tensor abs_backward(const Tensor& x, const Tensor& g);

// ---- reductions (axes may be negative; empty axes = all) ----
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, std::vector<int> axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::vector<int> axes, bool keepdim = false);
Tensor max(const Tensor& x, std::vector<int> axes, bool keepdim = false);  // ties share the gradient
Tensor logsumexp(const Tensor& x, int axis, bool keepdim = false);
Tensor softmax(const Tensor& x, int axis);
Tensor log_softmax(const Tensor& x, int axis);

// ---- shape ----
Tensor reshape(const Tensor& x, Shape shape);  // one -1 allowed; shares storage
Tensor flatten(const Tensor& x, int start_axis = 0);
Tensor unsqueeze(const Tensor& x, int axis);
Tensor squeeze(const Tensor& x, int axis);
Tensor permute(const Tensor& x, const std::vector<int>& perm);
Tensor transpose(const Tensor& x, int axis0, int axis1);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor sum_to(const Tensor& x, const Shape& shape);  // adjoint of broadcast_to
Tensor concat(const std::vector<Tensor>& xs, int axis);
Tensor stack(const std::vector<Tensor>& xs, int axis);
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end);  // [start, end)
Tensor slice_backward(const Tensor& g, const Shape& input_shape, int axis, int64_t start);
// Index tensors are int32 (Tensor::from_indices); an index out of range is an error
// naming it.
Tensor index_select(const Tensor& x, int axis, const Tensor& index);  // index 1-D
Tensor gather(const Tensor& x, int axis, const Tensor& index);  // index shaped like x but along axis
Tensor scatter_add(const Tensor& src, const Shape& shape, int axis, const Tensor& index);
Tensor one_hot(const Tensor& index, int64_t num_classes);  // no gradient

// ---- linear algebra ----
// op(a) @ op(b) over the last two axes, op = transpose when asked. Batched when
// both have equal leading axes, or when one side is 2-D (it is then shared).
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

// ---- images, NCHW ----
// A size per spatial axis (height, width); one number means both.
struct Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t both = 0) : h(both), w(both) {}  // NOLINT: implicit on purpose
  Size2(int64_t height, int64_t width) : h(height), w(width) {}
};
struct Conv2dOptions {
  Size2 stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
};
// x [N, C, H, W], w [O, C / groups, kh, kw], bias [O] or undefined -> [N, O, Ho, Wo].
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});
// The adjoint of conv2d in x (PyTorch's conv_transpose2d): x [N, Cin, H, W],
// w [Cin, Cout / groups, kh, kw] -> [N, Cout, (H-1) s - 2p + d (k-1) + output_padding + 1, ...].
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor(),
                        const Conv2dOptions& options = {}, Size2 output_padding = 0);
// The adjoint of conv2d in w: d/dw of <conv2d(x, w), grad>, shaped weight_shape.
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& grad, const Shape& weight_shape,
                          const Conv2dOptions& options = {});
Tensor pad2d(const Tensor& x, int64_t top, int64_t bottom, int64_t left, int64_t right);  // zeros
// Average over kernel x kernel windows moved by stride (default: kernel), no padding.
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0);
enum class Downsample { average, subsample };  // 2x2 mean, or every second pixel
Tensor downsample2d(const Tensor& x, Downsample mode = Downsample::average);
enum class Upsample { nearest, bilinear };  // bilinear: half-pixel centres, edges clamped
Tensor upsample2d(const Tensor& x, Upsample mode = Upsample::nearest);  // 2x
// Normalizes each of `groups` channel groups per sample over its channels and pixels,
// then scales and shifts per channel (weight, bias [C], either may be undefined).
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias,
                  float eps = 1e-5f);

// Training-time dropout: each element zeroed with probability p, the rest scaled by
// 1 / (1 - p). The mask comes from `generator` (advancing it), so a run resumed from
// its generator state draws the same masks.
Tensor dropout(const Tensor& x, float p, Generator& generator);

// ---- sequences ----
struct AttentionOptions {
  bool causal = false;  // key j hidden from query i when j > i (top-left aligned)
  float scale = 0.0f;   // 0: 1 / sqrt(head_dim)
};
// softmax(scale q k^T) v over [..., tokens, head_dim] (leading axes: batch, heads), fused
// with the online softmax: memory O(tokens x head_dim), never tokens x tokens.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});
// The same from plain ops (the tokens x tokens scores held): the reference for tests.
Tensor naive_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                       const AttentionOptions& options = {});
// Rotary position embedding (RoPE, half-split layout of GPT-NeoX and LLaMA): x
// [..., tokens, head_dim] (head_dim even), positions [tokens]; pair (i, i + head_dim/2)
// is rotated by the angle position * base^(-2i / head_dim).
Tensor rotary_embedding(const Tensor& x, const Tensor& positions, float base = 10000.0f);

// ---- losses ----
Tensor bce_with_logits(const Tensor& logits, const Tensor& targets,
                       Reduction reduction = Reduction::mean);
Tensor mse(const Tensor& prediction, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor reduce(const Tensor& x, Reduction reduction);

// ---- operators ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, float c) { return add_scalar(x, c); }
inline Tensor operator+(float c, const Tensor& x) { return add_scalar(x, c); }
inline Tensor operator-(const Tensor& x, float c) { return add_scalar(x, -c); }
inline Tensor operator-(float c, const Tensor& x) { return add_scalar(neg(x), c); }
inline Tensor operator*(const Tensor& x, float c) { return mul_scalar(x, c); }
inline Tensor operator*(float c, const Tensor& x) { return mul_scalar(x, c); }
inline Tensor operator/(const Tensor& x, float c) { return mul_scalar(x, 1.0f / c); }
inline Tensor operator/(float c, const Tensor& x) { return mul_scalar(reciprocal(x), c); }

}  // namespace genlab
