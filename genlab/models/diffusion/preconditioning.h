// The four preconditionings of EDM's Table 1 (VP, VE, EDM) and flow matching, which turn
// a network F into a denoiser D(x; sigma) = c_skip x + c_out F(c_in x; c_noise), and
// their training distributions of sigma and loss weights lambda(sigma) (docs/MATH.md
// section 4). The output parameterization (what F predicts) can be chosen apart from the
// process: "native" is the process's own row; eps, x0, v, raw (EDM's F) and flow (the
// velocity eps - x0) are all expressed through the same D, so a model trained with any
// of them is sampled by any sampler.
//
//   Preconditioning pre({.process = "flow"});
//   auto c = pre.coefficients(sigma);         // c.c_skip [B, 1] ... c.c_noise [B]
//   Tensor sigma = pre.sample_sigma(4096, rng);
#pragma once

#include <string>
#include <vector>

#include "genlab/core/rng.h"
#include "genlab/core/tensor.h"

namespace genlab {

struct PreconditioningOptions {
  std::string process = "edm";  // vp | ve | edm | flow: c_in, c_noise, training sigma, lambda
  std::string parameterization = "native";  // native | raw | eps | x0 | v | flow
  double sigma_data = 0.5;
  // EDM's training distribution: ln sigma ~ N(p_mean, p_std^2).
  double p_mean = -1.2, p_std = 1.2;
  // VP: t ~ U(epsilon_t, 1); c_noise = (M - 1) t. VP's beta_d, beta_min as in the process.
  double vp_epsilon_t = 1e-5, vp_beta_d = 19.9, vp_beta_min = 0.1, vp_m = 1000;
  // VE: ln sigma ~ U(ln sigma_min, ln sigma_max).
  double ve_sigma_min = 0.02, ve_sigma_max = 100;
  // Flow: t ~ U(0, 1) ("uniform") or sigmoid(N(logit_mean, logit_std^2)) ("logit_normal"),
  // clipped to [flow_t_eps, 1 - flow_t_eps] so that sigma = t / (1 - t) stays finite.
  std::string flow_t = "uniform";
  double logit_mean = 0.0, logit_std = 1.0, flow_t_eps = 1e-5;
};

// Per-example coefficients for sigma [B]: c_skip, c_out, c_in as [B, 1] columns (they
// broadcast over dims), c_noise [B], lambda [B], and c_skip - 1 (computed without
// cancellation, for the loss).
struct PreconditioningCoefficients {
  Tensor c_skip, c_out, c_in, c_noise, weight, c_skip_minus_one;
};

class Preconditioning {
 public:
  explicit Preconditioning(const PreconditioningOptions& options);
  const PreconditioningOptions& options() const { return o_; }

  PreconditioningCoefficients coefficients(const Tensor& sigma) const;
  // The process's training distribution of sigma: [n].
  Tensor sample_sigma(int64_t n, Generator& rng) const;
  // The inverse of c_noise(sigma) (for tests and tools that see only the network's input).
  double sigma_of_c_noise(double c_noise) const;

 private:
  double vp_sigma(double t) const;

  PreconditioningOptions o_;
  std::string param_;  // parameterization with "native" resolved
};

const std::vector<std::string>& preconditioning_processes();
const std::vector<std::string>& output_parameterizations();
const std::vector<std::string>& flow_t_distributions();  // uniform, logit_normal

}  // namespace genlab
