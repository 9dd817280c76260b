// The demonstration the README's main command runs until the YAML experiment runner
// exists: an MLP denoiser trained with EDM preconditioning (Karras et al. 2022) on
// eight Gaussians on a ring, printing the loss as it falls.
//
//   DemoResult r = run_demo_denoiser({.steps = 4000}, std::cout);
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

namespace genlab {

struct DemoOptions {
  int64_t steps = 4000;
  int64_t batch_size = 512;
  int64_t width = 128;
  int64_t depth = 3;
  float lr = 2e-3f;
  uint64_t seed = 0;
  int64_t log_every = 500;
};

struct DemoResult {
  std::vector<double> window_losses;  // mean loss over each log_every window
  double steps_per_second = 0;
};

DemoResult run_demo_denoiser(const DemoOptions& options, std::ostream& out);

}  // namespace genlab
