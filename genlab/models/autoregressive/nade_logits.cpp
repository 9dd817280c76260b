#include "genlab/models/autoregressive/nade_logits.h"

#include "genlab/core/eigen.h"
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/core/parallel.h"
#include "genlab/core/shape.h"

namespace genlab {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using Vector = Eigen::VectorXf;
using ConstStridedColumn = Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<Eigen::Dynamic>>;
using StridedColumn = Eigen::Map<Eigen::VectorXf, 0, Eigen::InnerStride<Eigen::Dynamic>>;

struct Sizes {
  int64_t batch, dims, hidden, segment;  // segment: steps between checkpoints
  int64_t segments() const { return (dims + segment - 1) / segment; }
};

// The batch is split into one contiguous piece per thread; pieces are fixed by the
// thread count, so a given thread count gives bitwise-identical results.
struct Pieces {
  int64_t count;
  int64_t begin(int64_t p, int64_t batch) const { return batch * p / count; }
};

Pieces make_pieces(int64_t batch, int64_t work) {
  const int64_t threads = num_threads();
  if (threads <= 1 || omp_in_parallel() || work < kParallelGrain) return {1};
  return {std::min<int64_t>(threads, batch)};
}

template <class Fn>
void for_each_piece(const Pieces& pieces, Fn&& fn) {
  if (pieces.count == 1) {
    fn(int64_t{0});
    return;
  }
#pragma omp parallel for num_threads(static_cast <int>(pieces.count)) schedule(static, 1)
  for (int64_t p = 0; p < pieces.count; ++p) fn(p);
}

// Rows [r0, r1) of the forward pass. `checkpoints` (when not null) receives the
// pre-activations a_i for i = 0, K, 2K, ... as [segments, B, H].
void forward_rows(const Sizes& s, int64_t r0, int64_t r1, const float* x, const RowMatrix& wt,
                  const float* c, const float* v, const float* b, float* out, float* checkpoints) {
  const int64_t n = r1 - r0;
  if (n == 0) return;
  const ConstMatrixMap vm(v, s.dims, s.hidden);
  RowMatrix a = Eigen::Map<const Eigen::RowVectorXf>(c, s.hidden).replicate(n, 1);
  RowMatrix h(n, s.hidden);
  for (int64_t i = 0; i < s.dims; ++i) {
    if (checkpoints != nullptr && i % s.segment == 0)
      MatrixMap(checkpoints + ((i / s.segment) * s.batch + r0) * s.hidden, n, s.hidden) = a;
    h = a.array().logistic();
    StridedColumn(out + r0 * s.dims + i, n, Eigen::InnerStride<>(s.dims)) =
        (h * vm.row(i).transpose()).array() + b[i];
    const ConstStridedColumn xi(x + r0 * s.dims + i, n, Eigen::InnerStride<>(s.dims));
    a.noalias() += xi * wt.row(i);
  }
}

struct Gradients {
  RowMatrix dwt, dv;  // [D, H]
  Vector dc, db;      // [H], [D]
};

// Rows [r0, r1) of the backward pass, walking i from D-1 down to 0 with
// acc = dL/da_{i+1} = sum_{k > i} dL/da_k|_local (a_{i+1} = a_i + x_i W_i carries every
// later step's gradient back to a_i). Parameter gradients are accumulated into `g`;
// dx rows are written to dx.
void backward_rows(const Sizes& s, int64_t r0, int64_t r1, const float* x, const RowMatrix& wt,
                   const float* v, const float* checkpoints, const float* grad_out, float* dx,
                   Gradients& g) {
  const int64_t n = r1 - r0;
  if (n == 0) return;
  const ConstMatrixMap vm(v, s.dims, s.hidden);
  RowMatrix acc = RowMatrix::Zero(n, s.hidden), a(n, s.hidden), local(n, s.hidden);
  std::vector<RowMatrix> h(static_cast<size_t>(s.segment), RowMatrix(n, s.hidden));
  for (int64_t seg = s.segments() - 1; seg >= 0; --seg) {
    const int64_t i0 = seg * s.segment, i1 = std::min(s.dims, i0 + s.segment);
    a = ConstMatrixMap(checkpoints + (seg * s.batch + r0) * s.hidden, n, s.hidden);
    for (int64_t i = i0; i < i1; ++i) {
      h[i - i0] = a.array().logistic();
      if (i + 1 < i1)
        a.noalias() +=
            ConstStridedColumn(x + r0 * s.dims + i, n, Eigen::InnerStride<>(s.dims)) * wt.row(i);
    }
    for (int64_t i = i1 - 1; i >= i0; --i) {
      const ConstStridedColumn xi(x + r0 * s.dims + i, n, Eigen::InnerStride<>(s.dims));
      const ConstStridedColumn gi(grad_out + r0 * s.dims + i, n, Eigen::InnerStride<>(s.dims));
      g.dwt.row(i).noalias() += xi.transpose() * acc;
      StridedColumn(dx + r0 * s.dims + i, n, Eigen::InnerStride<>(s.dims)).noalias() =
          acc * wt.row(i).transpose();
      const RowMatrix& hi = h[i - i0];
      g.db[i] += gi.sum();
      g.dv.row(i).noalias() += gi.transpose() * hi;
      // d logit_i / d a_i = V_i * sigmoid'(a_i), per row scaled by the incoming gradient.
      local.noalias() = gi * vm.row(i);
      acc.array() += local.array() * hi.array() * (1.0f - hi.array());
    }
  }
  g.dc += acc.colwise().sum().transpose();
}

Tensor matrix_tensor(const RowMatrix& m) {
  Tensor t = Tensor::empty({m.rows(), m.cols()});
  MatrixMap(t.data(), m.rows(), m.cols()) = m;
  return t;
}

Tensor vector_tensor(const Vector& v) {
  Tensor t = Tensor::empty({v.size()});
  Eigen::Map<Vector>(t.data(), v.size()) = v;
  return t;
}

void check_inputs(const Tensor& x, const Tensor& w, const Tensor& c, const Tensor& v,
                  const Tensor& b) {
  for (const Tensor* t : {&x, &w, &c, &v, &b})
    if (!t->defined() || t->device() != Device::cpu)
      throw std::invalid_argument("nade_logits: every input must be a defined CPU tensor");
  const bool ok = x.dim() == 2 && w.dim() == 2 && c.dim() == 1 && v.dim() == 2 && b.dim() == 1 &&
                  w.size(1) == x.size(1) && c.size(0) == w.size(0) && v.size(0) == x.size(1) &&
                  v.size(1) == w.size(0) && b.size(0) == x.size(1);
  if (!ok)
    throw std::invalid_argument(
        "nade_logits: expected x [B, D], W [H, D], c [H], V [D, H], b [D]; "
        "got x " +
        shape_str(x.shape()) + ", W " + shape_str(w.shape()) + ", c " + shape_str(c.shape()) +
        ", V " + shape_str(v.shape()) + ", b " + shape_str(b.shape()));
}

}  // namespace

Tensor nade_logits(const Tensor& x, const Tensor& w, const Tensor& c, const Tensor& v,
                   const Tensor& b) {
  check_inputs(x, w, c, v, b);
  const Sizes s{x.size(0), x.size(1), w.size(0),
                std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(x.size(1)))))};
  // Inputs are copied (W transposed so that W[:, i] is a contiguous row); the backward
  // closure keeps these copies, so later in-place parameter updates cannot change it.
  auto wt = std::make_shared<RowMatrix>(ConstMatrixMap(w.data(), s.hidden, s.dims).transpose());
  const bool needs_grad =
      grad_enabled() && (x.requires_grad() || w.requires_grad() || c.requires_grad() ||
                         v.requires_grad() || b.requires_grad());
  auto checkpoints = std::make_shared<std::vector<float>>(
      needs_grad ? static_cast<size_t>(s.segments() * s.batch * s.hidden) : 0);
  Tensor out = Tensor::empty({s.batch, s.dims});
  const Pieces pieces = make_pieces(s.batch, s.batch * s.dims * s.hidden);
  for_each_piece(pieces, [&](int64_t p) {
    forward_rows(s, pieces.begin(p, s.batch), pieces.begin(p + 1, s.batch), x.data(), *wt, c.data(),
                 v.data(), b.data(), out.data(), needs_grad ? checkpoints->data() : nullptr);
  });
  if (!needs_grad) return out;
  const Tensor x_saved = x.detach().clone(), v_saved = v.detach().clone();
  return record(out, "nade_logits", {x, w, c, v, b},
                [s, wt, checkpoints, x_saved, v_saved](const Tensor& grad_out) {
                  if (grad_enabled())
                    throw std::logic_error(
                        "nade_logits: second derivatives (create_graph) are not implemented");
                  Tensor dx = Tensor::empty({s.batch, s.dims});
                  const Pieces pieces = make_pieces(s.batch, s.batch * s.dims * s.hidden);
                  std::vector<Gradients> partial(static_cast<size_t>(pieces.count));
                  for (auto& g : partial)
                    g = {RowMatrix::Zero(s.dims, s.hidden), RowMatrix::Zero(s.dims, s.hidden),
                         Vector::Zero(s.hidden), Vector::Zero(s.dims)};
                  for_each_piece(pieces, [&](int64_t p) {
                    backward_rows(s, pieces.begin(p, s.batch), pieces.begin(p + 1, s.batch),
                                  x_saved.data(), *wt, v_saved.data(), checkpoints->data(),
                                  grad_out.data(), dx.data(), partial[static_cast<size_t>(p)]);
                  });
                  Gradients& total = partial[0];  // summed in piece order: deterministic
                  for (size_t p = 1; p < partial.size(); ++p) {
                    total.dwt += partial[p].dwt;
                    total.dv += partial[p].dv;
                    total.dc += partial[p].dc;
                    total.db += partial[p].db;
                  }
                  return std::vector<Tensor>{dx, matrix_tensor(total.dwt.transpose()),
                                             vector_tensor(total.dc), matrix_tensor(total.dv),
                                             vector_tensor(total.db)};
                });
}

}  // namespace genlab
