// Likelihood through the probability-flow ODE (docs/MATH.md section 4): integrate x and the
// log-density change from sigma_min to sigma_max with Dormand-Prince, in EDM coordinates
// (s = 1, sigma = t; the density is the same in any process's coordinates):
//   log p(x0; sigma_min) = log N(x(sigma_max); 0, (sigma_max^2 + sigma_data^2) I)
//                          + integral of (dims - tr dD/dx) / sigma dsigma.
// The trace is exact (one vector-Jacobian product per dimension) or Hutchinson's
// estimate e^T (dD/dx) e with Rademacher or Gaussian probes fixed for each sample's path.
//
//   LikelihoodOptions o;  o.trace = "hutchinson";  o.probes = 4;
//   auto r = pf_ode_likelihood(model, x0, o, {Generator(seed).derive("probes"), first});
//   r.nll_nats, r.bits_per_dim   // [n] each; r.nfe forward evaluations, r.vjps backward
#pragma once

#include <string>

#include "genlab/samplers/dormand_prince.h"
#include "genlab/samplers/sampler.h"

namespace genlab {

struct LikelihoodOptions {
  std::string trace = "exact";       // "exact" | "hutchinson"
  std::string probe = "rademacher";  // hutchinson: "rademacher" | "gaussian"
  int probes = 1;                    // hutchinson: probes averaged per evaluation
  double sigma_min = 1e-3, sigma_max = 80.0;
  double sigma_data = 0.5;  // the prior at sigma_max is N(0, (sigma_max^2 + sigma_data^2) I)
  OdeSolveOptions ode{.rtol = 1e-5, .atol = 1e-5};
};

struct LikelihoodResult {
  Tensor nll_nats;      // [n]: -log p(x0; sigma_min)
  Tensor bits_per_dim;  // [n]: nll / (dims ln 2)
  int64_t nfe = 0;      // denoiser evaluations
  int64_t vjps = 0;     // vector-Jacobian products
};

// The `trace` names: exact, hutchinson.
const std::vector<std::string>& likelihood_trace_kinds();

// x0 [n, dims]. Probes of sample i come from row first_row + i of probe stream k.
LikelihoodResult pf_ode_likelihood(const Denoiser& d, const Tensor& x0, const LikelihoodOptions& o,
                                   const StepNoise& probes = {});

}  // namespace genlab
