// Elementwise ops: forward kernel and backward rule side by side.
#include <cmath>
#include <stdexcept>

#include "genlab/core/ops_detail.h"

namespace genlab {
namespace detail {

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": undefined tensor argument");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  check_defined(a, op);
  check_defined(b, op);
  if (a.device() != b.device())
    throw std::invalid_argument(std::string(op) + ": tensors on " + device_str(a.device()) +
                                " and " + device_str(b.device()));
}

Tensor unary_forward(UnaryOp op, const Tensor& x, float p0, float p1) {
  Tensor out = Tensor::empty(x.shape(), x.device());
  backend_of(x).unary(op, x.data(), out.data(), x.numel(), p0, p1);
  return out;
}

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  check_same_device(a, b, name);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(out_shape, a.device());
  backend_of(a).binary(op, a.data(), a.shape(), b.data(), b.shape(), out.data(), out_shape);
  return out;
}

AxisSplit split_at_axis(const Shape& shape, int axis) {
  AxisSplit s;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (i < axis) s.outer *= shape[i];
    else if (i == axis) s.extent = shape[i];
    else s.inner *= shape[i];
  }
  return s;
}

}  // namespace detail

using namespace detail;

// ---- binary ----------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::add, a, b, "add"), "add", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  return {sum_to(g, a.shape()), sum_to(g, b.shape())};
                });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::sub, a, b, "sub"), "sub", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  return {sum_to(g, a.shape()), b.requires_grad() ? sum_to(neg(g), b.shape()) : Tensor()};
                });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::mul, a, b, "mul"), "mul", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  return {a.requires_grad() ? sum_to(mul(g, b), a.shape()) : Tensor(),
                          b.requires_grad() ? sum_to(mul(g, a), b.shape()) : Tensor()};
                });
}

Tensor div(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::div, a, b, "div"), "div", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  return {a.requires_grad() ? sum_to(div(g, b), a.shape()) : Tensor(),
                          b.requires_grad() ? sum_to(neg(div(mul(g, a), square(b))), b.shape())
                                            : Tensor()};
                });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::pow, a, b, "pow"), "pow", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  return {a.requires_grad() ? sum_to(g * b * pow(a, b - 1.0f), a.shape()) : Tensor(),
                          b.requires_grad() ? sum_to(g * pow(a, b) * log(a), b.shape()) : Tensor()};
                });
}

// maximum/minimum: the gradient goes to the selected side (to a on ties).
Tensor maximum(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::maximum, a, b, "maximum"), "maximum", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  const Tensor pick_a = ge(a, b);
                  return {sum_to(g * pick_a, a.shape()), sum_to(g * (1.0f - pick_a), b.shape())};
                });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return record(binary_forward(BinaryOp::minimum, a, b, "minimum"), "minimum", {a, b},
                [a, b](const Tensor& g) -> std::vector<Tensor> {
                  const Tensor pick_b = lt(b, a);
                  return {sum_to(g * (1.0f - pick_b), a.shape()), sum_to(g * pick_b, b.shape())};
                });
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::eq, a, b, "eq"); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::gt, a, b, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::ge, a, b, "ge"); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::lt, a, b, "lt"); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_same_device(cond, a, "where");
  check_same_device(a, b, "where");
  const Shape out_shape =
      broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = Tensor::empty(out_shape, a.device());
  backend_of(a).where(cond.data(), cond.shape(), a.data(), a.shape(), b.data(), b.shape(),
                      out.data(), out_shape);
  return record(out, "where", {a, b}, [cond, a, b](const Tensor& g) -> std::vector<Tensor> {
    const Tensor zero = Tensor::zeros({}, g.device());
    return {sum_to(where(cond, g, zero), a.shape()), sum_to(where(cond, zero, g), b.shape())};
  });
}

// ---- unary -----------------------------------------------------------------------

namespace {
// An op y = f(x) whose backward is df(x, g).
template <class Df>
Tensor unary_op(UnaryOp op, const char* name, const Tensor& x, Df df, float p0 = 0, float p1 = 0) {
  check_defined(x, name);
  return record(unary_forward(op, x, p0, p1), name, {x},
                [x, df](const Tensor& g) -> std::vector<Tensor> { return {df(x, g)}; });
}

// A fused derivative op y = f'(x) g; its own backward uses f'' written with ops.
template <class D2f>
Tensor derivative_op(BinaryOp op, const char* name, const Tensor& x, const Tensor& g,
                     Tensor (*first)(const Tensor&, const Tensor&), D2f second) {
  return record(binary_forward(op, x, g, name), name, {x, g},
                [x, g, first, second](const Tensor& gg) -> std::vector<Tensor> {
                  return {x.requires_grad() ? sum_to(gg * g * second(x), x.shape()) : Tensor(),
                          g.requires_grad() ? sum_to(first(x, gg), g.shape()) : Tensor()};
                });
}
}  // namespace

Tensor neg(const Tensor& x) {
  return unary_op(UnaryOp::neg, "neg", x, [](const Tensor&, const Tensor& g) { return neg(g); });
}
Tensor exp(const Tensor& x) {
  return unary_op(UnaryOp::exp, "exp", x, [](const Tensor& x, const Tensor& g) { return g * exp(x); });
}
Tensor log(const Tensor& x) {
  return unary_op(UnaryOp::log, "log", x, [](const Tensor& x, const Tensor& g) { return g / x; });
}
Tensor log1p(const Tensor& x) {
  return unary_op(UnaryOp::log1p, "log1p", x,
                  [](const Tensor& x, const Tensor& g) { return g / (x + 1.0f); });
}
Tensor expm1(const Tensor& x) {
  return unary_op(UnaryOp::expm1, "expm1", x,
                  [](const Tensor& x, const Tensor& g) { return g * exp(x); });
}
Tensor sqrt(const Tensor& x) {
  return unary_op(UnaryOp::sqrt, "sqrt", x,
                  [](const Tensor& x, const Tensor& g) { return g * 0.5f / sqrt(x); });
}
Tensor abs(const Tensor& x) {
  return unary_op(UnaryOp::abs, "abs", x,
                  [](const Tensor& x, const Tensor& g) { return abs_backward(x, g); });
}
Tensor square(const Tensor& x) {
  return unary_op(UnaryOp::square, "square", x,
                  [](const Tensor& x, const Tensor& g) { return g * x * 2.0f; });
}
Tensor reciprocal(const Tensor& x) {
  return unary_op(UnaryOp::reciprocal, "reciprocal", x,
                  [](const Tensor& x, const Tensor& g) { return neg(g / square(x)); });
}
Tensor sin(const Tensor& x) {
  return unary_op(UnaryOp::sin, "sin", x, [](const Tensor& x, const Tensor& g) { return g * cos(x); });
}
Tensor cos(const Tensor& x) {
  return unary_op(UnaryOp::cos, "cos", x,
                  [](const Tensor& x, const Tensor& g) { return neg(g * sin(x)); });
}
Tensor tanh(const Tensor& x) {
  return unary_op(UnaryOp::tanh, "tanh", x,
                  [](const Tensor& x, const Tensor& g) { return tanh_backward(x, g); });
}
Tensor sigmoid(const Tensor& x) {
  return unary_op(UnaryOp::sigmoid, "sigmoid", x,
                  [](const Tensor& x, const Tensor& g) { return sigmoid_backward(x, g); });
}
Tensor relu(const Tensor& x) {
  return unary_op(UnaryOp::relu, "relu", x,
                  [](const Tensor& x, const Tensor& g) { return relu_backward(x, g); });
}
Tensor silu(const Tensor& x) {
  return unary_op(UnaryOp::silu, "silu", x,
                  [](const Tensor& x, const Tensor& g) { return silu_backward(x, g); });
}
Tensor gelu(const Tensor& x, bool tanh_approximation) {
  return unary_op(tanh_approximation ? UnaryOp::gelu_tanh : UnaryOp::gelu, "gelu", x,
                  [tanh_approximation](const Tensor& x, const Tensor& g) {
                    return gelu_backward(x, g, tanh_approximation);
                  });
}
Tensor softplus(const Tensor& x) {
  return unary_op(UnaryOp::softplus, "softplus", x,
                  [](const Tensor& x, const Tensor& g) { return softplus_backward(x, g); });
}
Tensor log_sigmoid(const Tensor& x) {
  return unary_op(UnaryOp::log_sigmoid, "log_sigmoid", x,
                  [](const Tensor& x, const Tensor& g) { return log_sigmoid_backward(x, g); });
}
Tensor pow(const Tensor& x, float p) {
  return unary_op(UnaryOp::pow_scalar, "pow", x,
                  [p](const Tensor& x, const Tensor& g) { return g * pow(x, p - 1.0f) * p; }, p);
}
Tensor clamp(const Tensor& x, float lo, float hi) {
  if (lo > hi)
    throw std::invalid_argument("clamp: lower bound " + std::to_string(lo) + " above upper " +
                                std::to_string(hi));
  return unary_op(UnaryOp::clamp, "clamp", x,
                  [lo, hi](const Tensor& x, const Tensor& g) {
                    return g * unary_forward(UnaryOp::inside, x, lo, hi);
                  },
                  lo, hi);
}
Tensor add_scalar(const Tensor& x, float c) {
  return unary_op(UnaryOp::add_scalar, "add_scalar", x,
                  [](const Tensor&, const Tensor& g) { return g; }, c);
}
Tensor mul_scalar(const Tensor& x, float c) {
  return unary_op(UnaryOp::mul_scalar, "mul_scalar", x,
                  [c](const Tensor&, const Tensor& g) { return g * c; }, c);
}
Tensor sign(const Tensor& x) { return unary_forward(UnaryOp::sign, x); }
Tensor floor(const Tensor& x) { return unary_forward(UnaryOp::floor, x); }

// ---- fused derivatives and their second derivatives ------------------------------

Tensor silu_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::silu_grad, "silu_backward", x, g, &silu_backward,
                       [](const Tensor& x) {
                         const Tensor s = sigmoid(x);  // s (1 - s) (2 + x (1 - 2 s))
                         return s * (1.0f - s) * (2.0f + x * (1.0f - 2.0f * s));
                       });
}
Tensor sigmoid_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::sigmoid_grad, "sigmoid_backward", x, g, &sigmoid_backward,
                       [](const Tensor& x) {
                         const Tensor s = sigmoid(x);
                         return s * (1.0f - s) * (1.0f - 2.0f * s);
                       });
}
Tensor tanh_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::tanh_grad, "tanh_backward", x, g, &tanh_backward,
                       [](const Tensor& x) {
                         const Tensor t = tanh(x);
                         return -2.0f * t * (1.0f - square(t));
                       });
}
namespace {
Tensor gelu_exact_backward(const Tensor& x, const Tensor& g) { return gelu_backward(x, g, false); }
Tensor gelu_tanh_backward(const Tensor& x, const Tensor& g) { return gelu_backward(x, g, true); }
}  // namespace
Tensor gelu_backward(const Tensor& x, const Tensor& g, bool tanh_approximation) {
  if (!tanh_approximation)
    return derivative_op(BinaryOp::gelu_grad, "gelu_backward", x, g, &gelu_exact_backward,
                         [](const Tensor& x) {  // phi(x) (2 - x^2)
                           return exp(square(x) * -0.5f) * 0.3989422804014327f * (2.0f - square(x));
                         });
  return derivative_op(BinaryOp::gelu_tanh_grad, "gelu_backward", x, g, &gelu_tanh_backward,
                       [](const Tensor& x) {
                         constexpr float c = 0.7978845608028654f, a = 0.044715f;
                         const Tensor t = tanh(c * (x + a * pow(x, 3.0f)));
                         const Tensor du = c * (1.0f + 3.0f * a * square(x));
                         const Tensor sech2 = 1.0f - square(t);
                         return sech2 * du +
                                0.5f * x * (-2.0f * t * sech2 * square(du) + sech2 * (6.0f * a * c) * x);
                       });
}
Tensor softplus_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::softplus_grad, "softplus_backward", x, g, &softplus_backward,
                       [](const Tensor& x) {
                         const Tensor s = sigmoid(x);
                         return s * (1.0f - s);
                       });
}
Tensor log_sigmoid_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::log_sigmoid_grad, "log_sigmoid_backward", x, g,
                       &log_sigmoid_backward, [](const Tensor& x) {
                         const Tensor s = sigmoid(x);
                         return neg(s * (1.0f - s));
                       });
}
Tensor relu_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::relu_grad, "relu_backward", x, g, &relu_backward,
                       [](const Tensor& x) { return Tensor::zeros(x.shape(), x.device()); });
}
Tensor abs_backward(const Tensor& x, const Tensor& g) {
  return derivative_op(BinaryOp::abs_grad, "abs_backward", x, g, &abs_backward,
                       [](const Tensor& x) { return Tensor::zeros(x.shape(), x.device()); });
}

}  // namespace genlab
