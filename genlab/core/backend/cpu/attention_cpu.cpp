#include "genlab/core/backend/cpu/attention_cpu.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "genlab/core/eigen.h"

#include "genlab/core/backend/cpu/eigen_maps.h"

#include "genlab/core/parallel.h"

namespace genlab::cpu {
namespace {

using Vector = Eigen::VectorXf;

// Block sizes: a 64 x 64 score block and its operands stay in L2 for head_dim <= 128.
constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 64;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Keys a query block [q0, q1) may see: all, or under the causal mask up to key q1 - 1.
int64_t key_end(const AttentionGeometry& g, int64_t q1) {
  return g.causal ? std::min(g.keys, q1) : g.keys;
}

// Masks the scores of key block [k0, k0 + cols) that lie after their query (row r is
// query q0 + r).
void mask_causal(RowMatrix& s, int64_t q0, int64_t k0) {
  for (int64_t r = 0; r < s.rows(); ++r)
    for (int64_t c = std::max<int64_t>(0, q0 + r + 1 - k0); c < s.cols(); ++c) s(r, c) = kNegInf;
}

// Work items of the forward: (head, query block); run in parallel in fixed pieces.
template <class Fn>
void over_items(int64_t items, int64_t cost, Fn&& fn) {
  parallel_for(items, cost, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) fn(i);
  });
}

}  // namespace

void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                       const AttentionGeometry& g) {
  const int64_t D = g.head_dim, blocks = (g.queries + kQueryBlock - 1) / kQueryBlock;
  over_items(g.heads * blocks, kQueryBlock * g.keys * D * 2, [&](int64_t item) {
    const int64_t h = item / blocks, q0 = (item % blocks) * kQueryBlock;
    const int64_t rows = std::min(kQueryBlock, g.queries - q0);
    ConstMatrixMap qb(q + (h * g.queries + q0) * D, rows, D);
    MatrixMap ob(out + (h * g.queries + q0) * D, rows, D);
    ob.setZero();
    Vector running_max = Vector::Constant(rows, kNegInf), running_sum = Vector::Zero(rows);
    RowMatrix s;
    for (int64_t k0 = 0; k0 < key_end(g, q0 + rows); k0 += kKeyBlock) {
      const int64_t cols = std::min(kKeyBlock, g.keys - k0);
      ConstMatrixMap kb(k + (h * g.keys + k0) * D, cols, D);
      ConstMatrixMap vb(v + (h * g.keys + k0) * D, cols, D);
      s.noalias() = g.scale * (qb * kb.transpose());
      if (g.causal) mask_causal(s, q0, k0);
      for (int64_t r = 0; r < rows; ++r) {
        const float block_max = s.row(r).maxCoeff();
        const float new_max = std::max(running_max[r], block_max);
        if (new_max == kNegInf) {  // every key so far masked: nothing to add
          s.row(r).setZero();
          continue;
        }
        // Rescale what was summed under the old maximum to the new one.
        const float correction = std::exp(running_max[r] - new_max);
        s.row(r) = (s.row(r).array() - new_max).exp().matrix();
        running_sum[r] = running_sum[r] * correction + s.row(r).sum();
        ob.row(r) *= correction;
        running_max[r] = new_max;
      }
      ob.noalias() += s * vb;
    }
    for (int64_t r = 0; r < rows; ++r) {
      ob.row(r) /= running_sum[r];
      lse[h * g.queries + q0 + r] = running_max[r] + std::log(running_sum[r]);
    }
  });
}

void attention_backward(const float* q, const float* k, const float* v, const float* out,
                        const float* grad_out, const float* lse, float* dq, float* dk, float* dv,
                        const AttentionGeometry& g) {
  const int64_t D = g.head_dim;
  over_items(g.heads, g.queries * g.keys * D * 4, [&](int64_t h) {
    const float* qh = q + h * g.queries * D;
    const float* kh = k + h * g.keys * D;
    const float* vh = v + h * g.keys * D;
    const float* goh = grad_out + h * g.queries * D;
    const float* lh = lse + h * g.queries;
    MatrixMap dqh(dq + h * g.queries * D, g.queries, D);
    dqh.setZero();
    // delta_i = sum_d dO_id O_id: the softmax backward's row term, once per query.
    const Vector delta = (ConstMatrixMap(goh, g.queries, D).array() *
                          ConstMatrixMap(out + h * g.queries * D, g.queries, D).array())
                             .rowwise()
                             .sum()
                             .matrix();
    RowMatrix p, dp;
    for (int64_t k0 = 0; k0 < g.keys; k0 += kKeyBlock) {
      const int64_t cols = std::min(kKeyBlock, g.keys - k0);
      ConstMatrixMap kb(kh + k0 * D, cols, D), vb(vh + k0 * D, cols, D);
      MatrixMap dkb(dk + (h * g.keys + k0) * D, cols, D), dvb(dv + (h * g.keys + k0) * D, cols, D);
      dkb.setZero();
      dvb.setZero();
      // Under the causal mask, queries before k0 see none of these keys.
      const int64_t first_query = g.causal ? k0 / kQueryBlock * kQueryBlock : 0;
      for (int64_t q0 = first_query; q0 < g.queries; q0 += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, g.queries - q0);
        ConstMatrixMap qb(qh + q0 * D, rows, D), gob(goh + q0 * D, rows, D);
        p.noalias() = g.scale * (qb * kb.transpose());
        if (g.causal) mask_causal(p, q0, k0);
        for (int64_t r = 0; r < rows; ++r)
          p.row(r) = (p.row(r).array() - lh[q0 + r]).exp().matrix();
        dvb.noalias() += p.transpose() * gob;
        dp.noalias() = gob * vb.transpose();
        for (int64_t r = 0; r < rows; ++r)
          dp.row(r) = (p.row(r).array() * (dp.row(r).array() - delta[q0 + r])).matrix();
        dqh.middleRows(q0, rows).noalias() += g.scale * (dp * kb);
        dkb.noalias() += g.scale * (dp.transpose() * qb);
      }
    }
  });
}

}  // namespace genlab::cpu
