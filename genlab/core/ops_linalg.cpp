// Matrix products. Transposes are flags handed to the GEMM, never copies, so the
// backward rules below cost exactly two GEMMs and no extra memory traffic.
#include <stdexcept>

#include "genlab/core/ops_detail.h"

namespace genlab {

using namespace detail;

namespace {

std::string matmul_shapes(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  return shape_str(a.shape()) + (ta ? "^T" : "") + " @ " + shape_str(b.shape()) + (tb ? "^T" : "");
}

Tensor matmul_kernel(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_same_device(a, b, "matmul");
  if (a.dim() < 2 || b.dim() < 2)
    throw std::invalid_argument("matmul: operands must have rank >= 2, got " +
                                matmul_shapes(a, b, ta, tb));
  const int64_t m = a.shape()[a.dim() - (ta ? 1 : 2)], k = a.shape()[a.dim() - (ta ? 2 : 1)];
  const int64_t kb = b.shape()[b.dim() - (tb ? 1 : 2)], n = b.shape()[b.dim() - (tb ? 2 : 1)];
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  if (k != kb || (!a_batch.empty() && !b_batch.empty() && a_batch != b_batch))
    throw std::invalid_argument("matmul: shapes do not match: " + matmul_shapes(a, b, ta, tb));
  Shape out_shape = a_batch.empty() ? b_batch : a_batch;
  const int64_t batch = numel(out_shape);
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.device());
  backend_of(a).matmul(a.data(), a_batch.empty() ? 0 : m * k, ta, b.data(),
                       b_batch.empty() ? 0 : k * n, tb, out.data(), batch, m, n, k);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_same_device(a, b, "matmul");
  // [..., m, k] @ [k, n]: fold the batch into m and run one large GEMM.
  if (a.dim() > 2 && b.dim() == 2 && !ta) {
    Shape out_shape(a.shape().begin(), a.shape().end() - 1);
    const Tensor flat = matmul(reshape(a, {-1, a.shape().back()}), b, false, tb);
    out_shape.push_back(flat.shape()[1]);
    return reshape(flat, out_shape);
  }
  return record(matmul_kernel(a, b, ta, tb), "matmul", {a, b},
                [a, b, ta, tb](const Tensor& g) -> std::vector<Tensor> {
                  // out = A B with A = op(a), B = op(b): dA = g B^T, dB = A^T g.
                  Tensor da, db;
                  if (a.requires_grad())
                    da = sum_to(ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb), a.shape());
                  if (b.requires_grad())
                    db = sum_to(tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false), b.shape());
                  return {da, db};
                });
}

}  // namespace genlab
