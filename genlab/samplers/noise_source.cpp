#include "genlab/samplers/noise_source.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace genlab {

namespace {

// The tree's time: u = ln sigma, clamped into [ln kSigmaLo, ln kSigmaHi] (sigma = 0, the
// end of a grid, maps to the lower end).
double tree_time(double sigma) {
  return std::clamp(std::log(std::max(sigma, BrownianTree::kSigmaLo)), std::log(BrownianTree::kSigmaLo),
                    std::log(BrownianTree::kSigmaHi));
}

}  // namespace

BrownianTree::BrownianTree(Generator gen, int64_t first_row, Shape shape)
    : gen_(gen), first_row_(first_row), shape_(std::move(shape)) {}

const std::vector<double>& BrownianTree::at(double sigma) {
  const double lo0 = std::log(kSigmaLo), hi0 = std::log(kSigmaHi);
  const double u = tree_time(sigma);
  if (!last_w_.empty() && u == last_u_) return last_w_;
  // Node 1 is the whole range, node k's halves are 2k and 2k + 1; node 0 keys W(hi).
  // The bridge is walked in double on the host: its normals are drawn there (Philox gives
  // every device the same bits, so this is the tree a GPU run sees too).
  auto normals = [&](uint64_t node) {
    return gen_.derive(node).normal_rows(shape_, first_row_, Device::cpu);
  };
  double lo = lo0, hi = hi0;
  const Tensor top = normals(0);
  const size_t n = static_cast<size_t>(top.numel());
  std::vector<double> w_hi(n), w_lo(n, 0.0);
  for (size_t i = 0; i < n; ++i) w_hi[i] = std::sqrt(hi - lo) * top.data()[i];
  uint64_t node = 1;
  for (int level = 0; level < kDepth; ++level) {
    // The bridge's midpoint given its ends: their mean plus sqrt((hi - lo) / 4) z.
    const double mid = 0.5 * (lo + hi), sd = 0.5 * std::sqrt(hi - lo);
    const Tensor zt = normals(node);
    const float* z = zt.data();
    std::vector<double>& keep = u < mid ? w_lo : w_hi;  // the end that stays
    std::vector<double>& move = u < mid ? w_hi : w_lo;  // becomes the midpoint
    for (size_t i = 0; i < n; ++i) move[i] = 0.5 * (keep[i] + move[i]) + sd * z[i];
    if (u < mid)
      hi = mid, node = 2 * node;
    else
      lo = mid, node = 2 * node + 1;
  }
  const double f = (u - lo) / (hi - lo);
  last_w_.resize(w_lo.size());
  for (size_t i = 0; i < w_lo.size(); ++i) last_w_[i] = w_lo[i] + f * (w_hi[i] - w_lo[i]);
  last_u_ = u;
  return last_w_;
}

Tensor BrownianTree::increment(double sigma_from, double sigma_to) {
  const double du = std::abs(tree_time(sigma_to) - tree_time(sigma_from));
  if (!(du > 0)) return Tensor::zeros(shape_);
  const std::vector<double> from = at(sigma_from);
  const std::vector<double>& to = at(sigma_to);
  std::vector<float> z(from.size());
  const double scale = 1.0 / std::sqrt(du);
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>((to[i] - from[i]) * scale);
  return Tensor::from_vector(z, shape_);
}

Tensor NoiseSource::draw(uint64_t k, const Shape& shape, double sigma_from, double sigma_to) {
  if (kind_ == NoiseKind::independent) return base_.draw(k, shape);
  if (!tree_) tree_ = std::make_unique<BrownianTree>(base_.gen.derive("brownian_tree"), base_.first_row, shape);
  if (tree_->shape() != shape)  // one path per sample and dimension: one shape per run
    throw std::logic_error("NoiseSource: brownian_tree noise of shape " + shape_str(shape) +
                           " after " + shape_str(tree_->shape()));
  return tree_->increment(sigma_from, sigma_to);
}

}  // namespace genlab
