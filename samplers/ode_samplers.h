// Deterministic samplers of the probability-flow ODE in the general form
// (EDM eq. 4): dx/dt = (sigma'/sigma + s'/s) x - (sigma' s / sigma) D(x / s; sigma),
// over any process and any time grid. Run in no-grad mode; NFE counted exactly.
//
//   auto p = make_process("edm");
//   auto t = karras_times(*p, 18);                     // 18 steps, ends at t(sigma = 0)
//   auto r = sample_heun(denoiser, *p, t, noise);      // noise: [n, dims] standard normal
#pragma once

#include <vector>

#include "samplers/denoiser.h"
#include "samplers/process.h"

namespace genlab {

// EDM's schedule (rho = 7) over the process's sigma range, mapped to its time, with a
// final step to sigma = 0: n + 1 times, decreasing.
std::vector<double> karras_times(const Process& p, int n, double rho = 7.0);

struct SampleResult {
  Tensor x;
  int64_t nfe = 0;
};

// x starts at s(t_0) sigma(t_0) noise.
SampleResult sample_euler(const Denoiser& d, const Process& p, const std::vector<double>& t,
                          const Tensor& noise);
// EDM Algorithm 1: Euler predictor, trapezoid corrector unless the next sigma is 0.
SampleResult sample_heun(const Denoiser& d, const Process& p, const std::vector<double>& t,
                         const Tensor& noise);

}  // namespace genlab
