// 2-D toy data sets, generated from a Generator (so a seed fixes them): moons,
// eight_gaussians, swiss_roll, checkerboard, pinwheel, circles, two_spirals. Each is
// scaled to roughly [-2, 2]^2 with per-coordinate standard deviations of 0.5-1.2.
// eight_gaussians is the same distribution as GaussianMixture::eight_gaussians().
//
//   Tensor x = toy_2d("moons", 4096, rng);   // [4096, 2]
#pragma once

#include <string>
#include <vector>

#include "genlab/core/rng.h"

namespace genlab {

Tensor toy_2d(const std::string& name, int64_t n, Generator& rng);
const std::vector<std::string>& toy_2d_names();

}  // namespace genlab
