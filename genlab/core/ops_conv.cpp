// The 2-D convolution as three ops that are each other's adjoints, so every derivative
// of every order is a convolution again:
//   conv       y = C_w(x)             dx = T_w(g),        dw = W(x, g)
//   transpose  y = T_w(x)  (= C_w^*)  dx = C_w(g),        dw = W(g, x)
//   weight     y = W(x, g) (<C_w(x), g> = <w, W(x, g)>)   dx = T_dy(g),  dg = C_dy(x)
#include <stdexcept>
#include <string>

#include "genlab/core/ops_detail.h"

namespace genlab {

using namespace detail;

namespace {

std::string describe(const Conv2dOptions& o) {
  // Appended piece by piece: `"(" + std::to_string(...)` trips GCC 12's -Wrestrict false
  // positive (GCC bug 105329).
  auto pair = [](Size2 s) {
    std::string t = "(";
    t.append(std::to_string(s.h)).append(", ").append(std::to_string(s.w)).append(")");
    return t;
  };
  return "stride " + pair(o.stride) + ", padding " + pair(o.padding) + ", dilation " +
         pair(o.dilation) + ", groups " + std::to_string(o.groups);
}

void check_options(const Conv2dOptions& o, const char* op) {
  if (o.stride.h < 1 || o.stride.w < 1 || o.dilation.h < 1 || o.dilation.w < 1 ||
      o.padding.h < 0 || o.padding.w < 0 || o.groups < 1)
    throw std::invalid_argument(std::string(op) + ": invalid options: " + describe(o) +
                                " (stride and dilation >= 1, padding >= 0, groups >= 1)");
}

// Everything but the sizes of the convolution's input and output.
Conv2dGeometry base_geometry(const Shape& w, const Conv2dOptions& o) {
  Conv2dGeometry g;
  g.kernel_h = w[2], g.kernel_w = w[3];
  g.stride_h = o.stride.h, g.stride_w = o.stride.w;
  g.pad_h = o.padding.h, g.pad_w = o.padding.w;
  g.dilation_h = o.dilation.h, g.dilation_w = o.dilation.w;
  g.groups = o.groups;
  return g;
}

int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// The geometry of conv2d(x, w): checks ranks, channels and groups.
Conv2dGeometry forward_geometry(const Shape& x, const Shape& w, const Conv2dOptions& o,
                                const char* op) {
  check_options(o, op);
  const std::string shapes = "input " + shape_str(x) + ", weight " + shape_str(w) + ", " + describe(o);
  if (x.size() != 4 || w.size() != 4)
    throw std::invalid_argument(std::string(op) + ": input and weight must be 4-D (NCHW, OIHW): " + shapes);
  if (x[1] % o.groups != 0 || w[0] % o.groups != 0 || w[1] * o.groups != x[1])
    throw std::invalid_argument(std::string(op) + ": channels do not match (weight [O, C / groups, kh, kw]"
                                " with C and O divisible by groups): " + shapes);
  Conv2dGeometry g = base_geometry(w, o);
  g.batch = x[0], g.in_channels = x[1], g.in_h = x[2], g.in_w = x[3], g.out_channels = w[0];
  const bool nonempty_in = x[2] + 2 * o.padding.h >= o.dilation.h * (w[2] - 1) + 1 &&
                           x[3] + 2 * o.padding.w >= o.dilation.w * (w[3] - 1) + 1;
  g.out_h = conv_out(x[2], w[2], o.stride.h, o.padding.h, o.dilation.h);
  g.out_w = conv_out(x[3], w[3], o.stride.w, o.padding.w, o.dilation.w);
  if (!nonempty_in || g.out_h < 1 || g.out_w < 1 || w[2] < 1 || w[3] < 1)
    throw std::invalid_argument(std::string(op) + ": the kernel does not fit the padded input: " + shapes);
  return g;
}

Shape input_shape(const Conv2dGeometry& g) { return {g.batch, g.in_channels, g.in_h, g.in_w}; }
Shape output_shape(const Conv2dGeometry& g) { return {g.batch, g.out_channels, g.out_h, g.out_w}; }
Shape weight_shape(const Conv2dGeometry& g) {
  return {g.out_channels, g.in_per_group(), g.kernel_h, g.kernel_w};
}

Tensor conv_op(const Tensor& x, const Tensor& w, const Conv2dGeometry& g);
Tensor transpose_op(const Tensor& grad, const Tensor& w, const Conv2dGeometry& g);
Tensor weight_op(const Tensor& x, const Tensor& grad, const Conv2dGeometry& g);

Tensor conv_op(const Tensor& x, const Tensor& w, const Conv2dGeometry& g) {
  Tensor out = Tensor::empty(output_shape(g), x.device());
  backend_of(x).conv2d(x.data(), w.data(), nullptr, out.data(), g);
  return record(out, "conv2d", {x, w}, [x, w, g](const Tensor& gy) -> std::vector<Tensor> {
    return {x.requires_grad() ? transpose_op(gy, w, g) : Tensor(),
            w.requires_grad() ? weight_op(x, gy, g) : Tensor()};
  });
}

Tensor transpose_op(const Tensor& grad, const Tensor& w, const Conv2dGeometry& g) {
  Tensor out = Tensor::empty(input_shape(g), grad.device());
  backend_of(grad).conv2d_input_grad(grad.data(), w.data(), out.data(), g);
  return record(out, "conv_transpose2d", {grad, w},
                [grad, w, g](const Tensor& gy) -> std::vector<Tensor> {
                  return {grad.requires_grad() ? conv_op(gy, w, g) : Tensor(),
                          w.requires_grad() ? weight_op(gy, grad, g) : Tensor()};
                });
}

Tensor weight_op(const Tensor& x, const Tensor& grad, const Conv2dGeometry& g) {
  Tensor out = Tensor::empty(weight_shape(g), x.device());
  backend_of(x).conv2d_weight_grad(x.data(), grad.data(), out.data(), g);
  return record(out, "conv2d_weight_grad", {x, grad},
                [x, grad, g](const Tensor& gw) -> std::vector<Tensor> {
                  return {x.requires_grad() ? transpose_op(grad, gw, g) : Tensor(),
                          grad.requires_grad() ? conv_op(x, gw, g) : Tensor()};
                });
}

Tensor add_channel_bias(const Tensor& y, const Tensor& bias, int64_t channels, const char* op) {
  if (!bias.defined()) return y;
  if (bias.shape() != Shape{channels})
    throw std::invalid_argument(std::string(op) + ": bias must have shape [" +
                                std::to_string(channels) + "], got " + shape_str(bias.shape()));
  return add(y, reshape(bias, {1, channels, 1, 1}));
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dOptions& options) {
  check_defined(x, "conv2d");
  check_defined(w, "conv2d");
  check_same_device(x, w, "conv2d");
  const Conv2dGeometry g = forward_geometry(x.shape(), w.shape(), options, "conv2d");
  return add_channel_bias(conv_op(x, w, g), bias, g.out_channels, "conv2d");
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias,
                        const Conv2dOptions& o, Size2 output_padding) {
  check_defined(x, "conv_transpose2d");
  check_defined(w, "conv_transpose2d");
  check_same_device(x, w, "conv_transpose2d");
  check_options(o, "conv_transpose2d");
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  if (xs.size() != 4 || ws.size() != 4 || ws[0] != xs[1] || xs[1] % o.groups != 0)
    throw std::invalid_argument("conv_transpose2d: expected input [N, Cin, H, W] and weight "
                                "[Cin, Cout / groups, kh, kw], got " + shape_str(xs) + " and " +
                                shape_str(ws) + ", " + describe(o));
  if (output_padding.h < 0 || output_padding.w < 0 ||
      (output_padding.h >= o.stride.h && output_padding.h >= o.dilation.h) ||
      (output_padding.w >= o.stride.w && output_padding.w >= o.dilation.w))
    throw std::invalid_argument("conv_transpose2d: output_padding must be smaller than stride "
                                "or dilation");
  // The convolution whose adjoint this is: its input has the size asked for here.
  const Shape y = {xs[0], ws[1] * o.groups,
                   (xs[2] - 1) * o.stride.h - 2 * o.padding.h + o.dilation.h * (ws[2] - 1) +
                       output_padding.h + 1,
                   (xs[3] - 1) * o.stride.w - 2 * o.padding.w + o.dilation.w * (ws[3] - 1) +
                       output_padding.w + 1};
  if (y[2] < 1 || y[3] < 1)
    throw std::invalid_argument("conv_transpose2d: empty output " + shape_str(y) + " for input " +
                                shape_str(xs) + ", " + describe(o));
  const Conv2dGeometry g = forward_geometry(y, ws, o, "conv_transpose2d");
  if (g.out_h != xs[2] || g.out_w != xs[3])
    throw std::logic_error("conv_transpose2d: inconsistent geometry");
  return add_channel_bias(transpose_op(x, w, g), bias, y[1], "conv_transpose2d");
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& grad, const Shape& w_shape,
                          const Conv2dOptions& options) {
  check_defined(x, "conv2d_weight_grad");
  check_defined(grad, "conv2d_weight_grad");
  check_same_device(x, grad, "conv2d_weight_grad");
  const Conv2dGeometry g = forward_geometry(x.shape(), w_shape, options, "conv2d_weight_grad");
  if (grad.shape() != output_shape(g))
    throw std::invalid_argument("conv2d_weight_grad: grad has shape " + shape_str(grad.shape()) +
                                ", the convolution's output " + shape_str(output_shape(g)));
  return weight_op(x, grad, g);
}

}  // namespace genlab
