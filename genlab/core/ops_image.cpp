// Image ops: padding, pooling, resampling, group normalization, dropout. Most are built
// from other differentiable ops (their backward rules of any order come from those);
// the 2x2 mean and nearest 2x upsampling are fused kernels that are each other's
// backward, and group norm's normalization is one fused op.
#include <stdexcept>
#include <string>

#include "genlab/core/ops_detail.h"
#include "genlab/core/rng.h"

namespace genlab {

using namespace detail;

namespace {

void check_image(const Tensor& x, const char* op) {
  check_defined(x, op);
  if (x.dim() != 4)
    throw std::invalid_argument(std::string(op) + ": expected an NCHW tensor, got shape " +
                                shape_str(x.shape()));
}

// Along `axis`, the neighbour one step before (or after) each element, edges repeated.
Tensor shifted(const Tensor& x, int axis, bool before) {
  const int64_t n = x.shape()[axis];
  if (n == 1) return x;
  return before ? concat({slice(x, axis, 0, 1), slice(x, axis, 0, n - 1)}, axis)
                : concat({slice(x, axis, 1, n), slice(x, axis, n - 1, n)}, axis);
}

// 2x linear interpolation along one axis with half-pixel centres (PyTorch's
// align_corners=False): output 2i sits at i - 1/4, output 2i+1 at i + 1/4.
Tensor upsample_axis_linear(const Tensor& x, int axis) {
  const Tensor even = add(mul_scalar(x, 0.75f), mul_scalar(shifted(x, axis, true), 0.25f));
  const Tensor odd = add(mul_scalar(x, 0.75f), mul_scalar(shifted(x, axis, false), 0.25f));
  Shape s = x.shape();
  s[axis] *= 2;
  return reshape(stack({even, odd}, axis + 1), s);
}

// Rows of xg [N, G, size] normalized to mean 0, variance 1 (biased, as PyTorch's), from
// plain ops: the reference, and the path of gradients of gradients.
Tensor normalize_groups_from_ops(const Tensor& xg, float eps) {
  const Tensor centred = sub(xg, mean(xg, {2}, true));
  const Tensor variance = mean(square(centred), {2}, true);
  return mul(centred, reciprocal(sqrt(add_scalar(variance, eps))));
}

// The same as one fused op (two passes over the data instead of a dozen). Its backward
// is the fused kernel, or under create_graph the plain-op formula
// dx = rstd (g - mean(g) - xhat mean(g xhat)), differentiable again.
Tensor normalize_groups(const Tensor& xg, float eps) {
  const int64_t rows = xg.size(0) * xg.size(1), size = xg.size(2);
  Tensor xhat = Tensor::empty(xg.shape(), xg.device());
  Tensor rstd = Tensor::empty({xg.size(0), xg.size(1), 1}, xg.device());
  backend_of(xg).normalize_rows(xg.data(), xhat.data(), rstd.data(), rows, size, eps);
  const Tensor saved = xhat.detach();
  return record(xhat, "group_norm", {xg}, [xg, saved, rstd, eps, rows, size](const Tensor& g) -> std::vector<Tensor> {
    if (grad_enabled()) {
      const Tensor xh = normalize_groups_from_ops(xg, eps);
      const Tensor r = reciprocal(sqrt(add_scalar(mean(square(sub(xg, mean(xg, {2}, true))), {2}, true), eps)));
      return {mul(r, sub(sub(g, mean(g, {2}, true)), mul(xh, mean(mul(g, xh), {2}, true))))};
    }
    Tensor dx = Tensor::empty(xg.shape(), xg.device());
    backend_of(g).normalize_rows_backward(saved.data(), g.data(), rstd.data(), dx.data(), rows, size);
    return {dx};
  });
}

}  // namespace

Tensor pad2d(const Tensor& x, int64_t top, int64_t bottom, int64_t left, int64_t right) {
  check_image(x, "pad2d");
  if (top < 0 || bottom < 0 || left < 0 || right < 0)
    throw std::invalid_argument("pad2d: padding must be >= 0");
  Shape s = x.shape();
  s[2] += top + bottom;
  Tensor rows = top + bottom > 0 ? slice_backward(x, s, 2, top) : x;
  s[3] += left + right;
  return left + right > 0 ? slice_backward(rows, s, 3, left) : rows;
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride) {
  check_image(x, "avg_pool2d");
  if (stride == 0) stride = kernel;
  if (kernel < 1 || stride < 1)
    throw std::invalid_argument("avg_pool2d: kernel and stride must be >= 1");
  const Shape& s = x.shape();
  if (s[2] < kernel || s[3] < kernel)
    throw std::invalid_argument("avg_pool2d: kernel " + std::to_string(kernel) +
                                " larger than the image " + shape_str(s));
  // One channel at a time: a convolution with a constant kernel on [N*C, 1, H, W].
  const Tensor w = Tensor::full({1, 1, kernel, kernel}, 1.0f / static_cast<float>(kernel * kernel),
                                x.device());
  Conv2dOptions o;
  o.stride = stride;
  const Tensor y = conv2d(reshape(x, {s[0] * s[1], 1, s[2], s[3]}), w, Tensor(), o);
  return reshape(y, {s[0], s[1], y.shape()[2], y.shape()[3]});
}

namespace {

// The 2x2 mean and nearest 2x upsampling as fused kernels (the compositions through
// 6-D reshapes ran 10-40x slower). Each is the other's backward: <down(x), y> =
// <x, up(y)> / 4.
Tensor upsample_nearest(const Tensor& x);

Tensor downsample_mean(const Tensor& x) {
  const Shape& s = x.shape();
  Tensor out = Tensor::empty({s[0], s[1], s[2] / 2, s[3] / 2}, x.device());
  backend_of(x).downsample_mean2x(x.data(), out.data(), s[0] * s[1], s[2] / 2, s[3] / 2);
  return record(out, "downsample2d", {x}, [](const Tensor& g) -> std::vector<Tensor> {
    return {mul_scalar(upsample_nearest(g), 0.25f)};
  });
}

Tensor upsample_nearest(const Tensor& x) {
  const Shape& s = x.shape();
  Tensor out = Tensor::empty({s[0], s[1], 2 * s[2], 2 * s[3]}, x.device());
  backend_of(x).upsample_nearest2x(x.data(), out.data(), s[0] * s[1], s[2], s[3]);
  return record(out, "upsample2d", {x}, [](const Tensor& g) -> std::vector<Tensor> {
    return {mul_scalar(downsample_mean(g), 4.0f)};
  });
}

}  // namespace

Tensor downsample2d(const Tensor& x, Downsample mode) {
  check_image(x, "downsample2d");
  const Shape& s = x.shape();
  if (s[2] % 2 != 0 || s[3] % 2 != 0)
    throw std::invalid_argument("downsample2d: height and width must be even, got shape " +
                                shape_str(s));
  if (mode == Downsample::average) return downsample_mean(x);
  // [N, C, H/2, 2, W/2, 2]: the 2x2 blocks as axes 3 and 5; the top-left pixel of each.
  const Tensor blocks = reshape(x, {s[0], s[1], s[2] / 2, 2, s[3] / 2, 2});
  return squeeze(squeeze(slice(slice(blocks, 5, 0, 1), 3, 0, 1), 5), 3);
}

Tensor upsample2d(const Tensor& x, Upsample mode) {
  check_image(x, "upsample2d");
  if (mode == Upsample::bilinear) return upsample_axis_linear(upsample_axis_linear(x, 2), 3);
  return upsample_nearest(x);
}

Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias,
                  float eps) {
  check_image(x, "group_norm");
  const Shape& s = x.shape();
  if (groups < 1 || s[1] % groups != 0)
    throw std::invalid_argument("group_norm: " + std::to_string(s[1]) +
                                " channels do not split into " + std::to_string(groups) + " groups");
  if (!(eps > 0.0f)) throw std::invalid_argument("group_norm: eps must be > 0");
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && p->shape() != Shape{s[1]})
      throw std::invalid_argument("group_norm: weight and bias must have shape [" +
                                  std::to_string(s[1]) + "], got " + shape_str(p->shape()));
  Tensor y = reshape(normalize_groups(reshape(x, {s[0], groups, -1}), eps), s);
  if (weight.defined()) y = mul(y, reshape(weight, {1, s[1], 1, 1}));
  if (bias.defined()) y = add(y, reshape(bias, {1, s[1], 1, 1}));
  return y;
}

Tensor dropout(const Tensor& x, float p, Generator& generator) {
  check_defined(x, "dropout");
  if (!(p >= 0.0f && p < 1.0f))
    throw std::invalid_argument("dropout: p must be in [0, 1), got " + std::to_string(p));
  if (p == 0.0f) return x;
  const Tensor keep = ge(generator.uniform(x.shape(), 0.0f, 1.0f, x.device()),
                         Tensor::full({}, p, x.device()));
  return mul(x, mul_scalar(keep, 1.0f / (1.0f - p)));
}

}  // namespace genlab
