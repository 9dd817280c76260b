#include "genlab/models/autoregressive/nade.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/models/autoregressive/nade_logits.h"

namespace genlab {

NADE::NADE(int64_t dims, int64_t hidden, Generator& init) : dims_(dims), hidden_(hidden) {
  if (dims < 1 || hidden < 1) throw std::invalid_argument("NADE: dims and hidden must be >= 1");
  const float bw = 1.0f / std::sqrt(static_cast<float>(dims)),
              bv = 1.0f / std::sqrt(static_cast<float>(hidden));
  w_ = register_parameter("W", init.uniform({hidden, dims}, -bw, bw));
  c_ = register_parameter("c", Tensor::zeros({hidden}));
  v_ = register_parameter("V", init.uniform({dims, hidden}, -bv, bv));
  b_ = register_parameter("b", Tensor::zeros({dims}));
}

Tensor NADE::logits(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != dims_)
    throw std::invalid_argument("NADE: x must be [batch, " + std::to_string(dims_) + "], got " +
                                shape_str(x.shape()));
  // The fused kernel is CPU code; on other devices the same function as a few large
  // tensor ops (logits_masked), which a GPU runs well.
  if (x.device() != Device::cpu) return logits_masked(x);
  return nade_logits(x, w_, c_, v_, b_);
}

Tensor NADE::logits_masked(const Tensor& x) const {
  // a[b, i, :] = c + sum_{j < i} x[b, j] W[:, j]: x repeated per position i, masked to the
  // strictly earlier dimensions, times W^T. O(B D^2) memory, against the fused op's
  // O(B H sqrt(D)): fine on a GPU for Fashion-MNIST's D <= 784.
  const int64_t batch = x.size(0);
  std::vector<float> earlier(static_cast<size_t>(dims_ * dims_), 0.0f);
  for (int64_t i = 0; i < dims_; ++i)
    for (int64_t j = 0; j < i; ++j) earlier[static_cast<size_t>(i * dims_ + j)] = 1.0f;
  const Tensor mask = Tensor::from_vector_like(x, earlier, {1, dims_, dims_});
  const Tensor xs = mul(reshape(x, {batch, 1, dims_}), mask);          // [B, D, D]
  const Tensor a = matmul(reshape(xs, {batch * dims_, dims_}), w_, false, true) +
                   reshape(c_, {1, hidden_});                            // [B D, H]
  const Tensor h = reshape(sigmoid(a), {batch, dims_, hidden_});
  return sum(mul(h, reshape(v_, {1, dims_, hidden_})), {2}) + reshape(b_, {1, dims_});
}

Tensor NADE::logits_naive(const Tensor& x) const {
  std::vector<Tensor> cols;
  for (int64_t i = 0; i < dims_; ++i) {
    Tensor a = broadcast_to(reshape(c_, {1, hidden_}), {x.size(0), hidden_});
    if (i > 0) a = a + matmul(slice(x, 1, 0, i), slice(w_, 1, 0, i), false, true);
    cols.push_back(matmul(sigmoid(a), slice(v_, 0, i, i + 1), false, true) +
                   slice(b_, 0, i, i + 1));
  }
  return concat(cols, 1);
}

Tensor NADE::sample(int64_t n, Generator& rng) const {
  NoGradGuard no_grad;
  const Tensor wt = transpose(w_, 0, 1);
  Tensor a = broadcast_to(reshape(c_, {1, hidden_}), {n, hidden_});
  std::vector<Tensor> cols;
  for (int64_t i = 0; i < dims_; ++i) {
    const Tensor p =
        sigmoid(matmul(sigmoid(a), slice(v_, 0, i, i + 1), false, true) + slice(b_, 0, i, i + 1));
    const Tensor xi = rng.bernoulli(p);  // [n, 1]
    cols.push_back(xi);
    a = a + xi * slice(wt, 0, i, i + 1);
  }
  return concat(cols, 1);
}

}  // namespace genlab
