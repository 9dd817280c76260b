// Attention over [..., tokens, head_dim]: the fused op (online softmax, genlab/core/backend/cpu/
// attention_cpu.h), the plain-op reference it is tested against, and rotary position
// embeddings.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/core/ops_detail.h"

namespace genlab {

using namespace detail;

namespace {

// q [..., Tq, D], k and v [..., Tk, D] with the same leading axes, folded into heads.
AttentionGeometry attention_geometry(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const AttentionOptions& o, const char* op) {
  for (const Tensor* t : {&q, &k, &v}) check_defined(*t, op);
  check_same_device(q, k, op);
  check_same_device(q, v, op);
  const std::string shapes = "q " + shape_str(q.shape()) + ", k " + shape_str(k.shape()) +
                             ", v " + shape_str(v.shape());
  if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim())
    throw std::invalid_argument(std::string(op) + ": q, k, v must have one rank >= 2: " + shapes);
  const int r = q.dim();
  const Shape lead(q.shape().begin(), q.shape().end() - 2);
  if (Shape(k.shape().begin(), k.shape().end() - 2) != lead ||
      Shape(v.shape().begin(), v.shape().end() - 2) != lead || k.shape()[r - 1] != q.shape()[r - 1] ||
      v.shape()[r - 1] != q.shape()[r - 1] || v.shape()[r - 2] != k.shape()[r - 2])
    throw std::invalid_argument(std::string(op) + ": expected q [..., Tq, D], k and v [..., Tk, D]: " +
                                shapes);
  AttentionGeometry g;
  g.heads = numel(lead), g.queries = q.shape()[r - 2], g.keys = k.shape()[r - 2];
  g.head_dim = q.shape()[r - 1];
  if (g.keys < 1 || g.head_dim < 1)
    throw std::invalid_argument(std::string(op) + ": no keys or an empty head_dim: " + shapes);
  if (!(o.scale >= 0.0f) || !std::isfinite(o.scale))
    throw std::invalid_argument(std::string(op) + ": scale must be finite and >= 0 (0: 1/sqrt(D))");
  g.scale = o.scale > 0.0f ? o.scale : 1.0f / std::sqrt(static_cast<float>(g.head_dim));
  g.causal = o.causal;
  return g;
}

// 0 where key j may be seen by query i, -inf-like where the causal mask hides it; [Tq, Tk].
Tensor causal_bias(int64_t queries, int64_t keys, Device device) {
  std::vector<float> m(static_cast<size_t>(queries * keys), 0.0f);
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = i + 1; j < keys; ++j) m[i * keys + j] = -std::numeric_limits<float>::infinity();
  return Tensor::from_vector(m, {queries, keys}).to(device);
}

// softmax(scale q k^T + causal mask) from plain ops: the tokens x tokens probabilities.
Tensor attention_probabilities(const Tensor& q, const Tensor& k, const AttentionGeometry& geo) {
  Tensor scores = mul_scalar(matmul(q, k, false, true), geo.scale);
  if (geo.causal) scores = add(scores, causal_bias(geo.queries, geo.keys, q.device()));
  return softmax(scores, -1);
}

// The attention's gradients from plain ops, for gradients of gradients (create_graph):
// dv = P^T g, dS = P (g v^T - rowsum(g v^T P)), dq = scale dS k, dk = scale dS^T q.
std::vector<Tensor> attention_grads_from_ops(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const Tensor& g, const AttentionGeometry& geo) {
  const Tensor p = attention_probabilities(q, k, geo);
  const Tensor dp = matmul(g, v, false, true);
  const Tensor ds = mul(p, sub(dp, sum(mul(dp, p), {-1}, true)));
  return {mul_scalar(matmul(ds, k), geo.scale), mul_scalar(matmul(ds, q, true, false), geo.scale),
          matmul(p, g, true, false)};
}

}  // namespace

Tensor naive_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  return matmul(attention_probabilities(q, k, attention_geometry(q, k, v, o, "naive_attention")), v);
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& o) {
  const AttentionGeometry g =
      attention_geometry(q, k, v, o, "scaled_dot_product_attention");
  Tensor out = Tensor::empty(q.shape(), q.device());
  Tensor lse = Tensor::empty({g.heads, g.queries}, q.device());
  backend_of(q).attention_forward(q.data(), k.data(), v.data(), out.data(), lse.data(), g);
  // The output is saved without its history (a handle to itself would never be freed).
  const Tensor saved_out = out.detach();
  return record(out, "scaled_dot_product_attention", {q, k, v},
                [q, k, v, saved_out, lse, g](const Tensor& grad) -> std::vector<Tensor> {
                  if (grad_enabled()) return attention_grads_from_ops(q, k, v, grad, g);
                  Tensor dq = Tensor::empty(q.shape(), q.device());
                  Tensor dk = Tensor::empty(k.shape(), k.device());
                  Tensor dv = Tensor::empty(v.shape(), v.device());
                  backend_of(q).attention_backward(q.data(), k.data(), v.data(), saved_out.data(),
                                                   grad.data(), lse.data(), dq.data(), dk.data(),
                                                   dv.data(), g);
                  return {dq, dk, dv};
                });
}

Tensor rotary_embedding(const Tensor& x, const Tensor& positions, float base) {
  check_defined(x, "rotary_embedding");
  check_defined(positions, "rotary_embedding");
  if (x.dim() < 2 || x.shape().back() % 2 != 0)
    throw std::invalid_argument("rotary_embedding: x must be [..., tokens, head_dim] with an even "
                                "head_dim, got " + shape_str(x.shape()));
  const int64_t tokens = x.shape()[x.dim() - 2], half = x.shape().back() / 2;
  if (positions.shape() != Shape{tokens})
    throw std::invalid_argument("rotary_embedding: positions must have shape [" +
                                std::to_string(tokens) + "], got " + shape_str(positions.shape()));
  if (!(base > 1.0f) || !std::isfinite(base))
    throw std::invalid_argument("rotary_embedding: base must be finite and > 1");
  // The angles in double precision: positions in the thousands lose digits in float.
  const std::vector<float> pos = positions.to_vector();
  std::vector<float> c(static_cast<size_t>(tokens * half)), s(c.size());
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = pos[t] * std::pow(static_cast<double>(base), -2.0 * i / (2.0 * half));
      c[t * half + i] = static_cast<float>(std::cos(angle));
      s[t * half + i] = static_cast<float>(std::sin(angle));
    }
  const Tensor cos_t = Tensor::from_vector(c, {tokens, half}).to(x.device());
  const Tensor sin_t = Tensor::from_vector(s, {tokens, half}).to(x.device());
  const Tensor x1 = slice(x, -1, 0, half), x2 = slice(x, -1, half, 2 * half);
  return concat({sub(mul(x1, cos_t), mul(x2, sin_t)), add(mul(x1, sin_t), mul(x2, cos_t))}, -1);
}

}  // namespace genlab
