// Where a stochastic sampler's fresh noise comes from.
//
// independent: draw k of a run is row (first_row + i) of stream k (StepNoise::draw), so a
//   sample's noise depends on its seed and index, not its batch; but the k-th draw of a
//   50-step run and of a 100-step run are unrelated, so the two samples differ in
//   character however many steps are taken.
// brownian_tree: the noise of a step from sigma to sigma_next is the normalized increment
//   (W(u') - W(u)) / sqrt(|u' - u|) of one Brownian motion W(u), u = ln sigma, per sample
//   and dimension, which is a function of (seed, sample index, sigma) alone (as
//   k-diffusion's BrownianTreeNoiseSampler, there with u = sigma). Runs with different
//   step counts then follow the same path, and their samples converge to one another (to
//   the strong solution of the SDE) as the steps grow. docs/MATH.md section 8.
//
//   NoiseSource noise(step_noise, NoiseKind::brownian_tree);
//   Tensor z = noise.draw(i, x.shape(), sigma_i, sigma_next);   // standard normal
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/samplers/sampler.h"

namespace genlab {

// W(u) on u in [ln kSigmaLo, ln kSigmaHi] for rows first_row.. of a [n, dims] batch: W at
// the lower end is 0, at the upper end a normal of variance the range; a query descends
// kDepth levels of Brownian-bridge midpoints (each midpoint's normal keyed by its node),
// then interpolates linearly in a leaf 2^-kDepth of the range wide (~2.6e-8 in ln sigma).
class BrownianTree {
 public:
  static constexpr double kSigmaLo = 1e-6, kSigmaHi = 1e6;
  static constexpr int kDepth = 30;
  BrownianTree(Generator gen, int64_t first_row, Shape shape);
  // W(ln sigma) [n, dims] in double, row-major; sigma is clamped into the tree's range.
  const std::vector<double>& at(double sigma);
  // (W(ln sigma_to) - W(ln sigma_from)) / sqrt(|ln sigma_to - ln sigma_from|): standard
  // normal; zeros for an empty interval.
  Tensor increment(double sigma_from, double sigma_to);
  const Shape& shape() const { return shape_; }

 private:
  Generator gen_;
  int64_t first_row_;
  Shape shape_;
  double last_u_ = 0;
  std::vector<double> last_w_;
};

class NoiseSource {
 public:
  NoiseSource(const StepNoise& base, NoiseKind kind) : base_(base), kind_(kind) {}
  // Standard normal noise for an injection that belongs to the step from sigma_from to
  // sigma_to; k numbers the injections of a run (independent noise uses draw k).
  Tensor draw(uint64_t k, const Shape& shape, double sigma_from, double sigma_to);
  // Draw k, independent whatever the kind: noise not tied to an interval of sigma
  // (Langevin corrector steps, restart rounds).
  Tensor independent(uint64_t k, const Shape& shape) const { return base_.draw(k, shape); }

 private:
  StepNoise base_;
  NoiseKind kind_;
  std::unique_ptr<BrownianTree> tree_;
};

}  // namespace genlab
