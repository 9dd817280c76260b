// The probability-flow ODE of a process over a denoiser, in the form every sampler
// steps (EDM eq. 4, docs/MATH.md section 4):
//   dx/dt = (sigma'/sigma + s'/s) x - (sigma' s / sigma) D(x / s; sigma),
// and the reverse SDE's drift and diffusion in the same coordinates. Counts NFE. States
// are float32 or float64 (sample_state.h); the denoiser always runs in float32.
#pragma once

#include <vector>

#include "genlab/samplers/denoiser.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sample_state.h"

namespace genlab {

// Step coefficients are computed in double and applied to float32 tensors.
inline float f32(double v) {
  return static_cast<float>(v);
}

// x at the grid's first time: s(t_0) sigma(t_0) noise; checks the grid and noise shapes.
Tensor initial_state(const Process& p, const std::vector<double>& t, const Tensor& noise);

class PfOde {
 public:
  PfOde(const Denoiser& d, const Process& p, Precision precision = Precision::float32)
      : d_(d), p_(p), precision_(precision) {}

  // D(x_hat; sigma) for one sigma shared by the batch, in x_hat's precision; one NFE.
  State denoise(const State& x_hat, double sigma);
  // dx/dt at time t; needs sigma(t) > 0.
  State derivative(const State& x, double t);
  // One step of EDM's Heun (Algorithm 1) from t to t_next: Euler, then the trapezoid
  // correction unless sigma(t_next) = 0.
  State heun_step(const State& x, double t, double t_next);
  // How the data-prediction samplers (ddim, DPM-Solver++, ancestral) open the step from t
  // to t_next: both sigmas, x_hat = x / s(t) and D(x_hat; sigma) (one NFE).
  struct DenoisedStep {
    double sigma, sigma_next;
    State x_hat, den;
  };
  DenoisedStep denoised_step(const State& x, double t, double t_next);
  // Per-row forms, for solvers whose samples each keep their own time (a step size per
  // sample, so that a sample's path does not depend on its batch): row r at sigma[r] or
  // t[r]. Only rows with active[r] count the evaluation as theirs (the others ride along
  // in the batch, their result unused); nfe() is then the mean per sample.
  State denoise_rows(const State& x_hat, const std::vector<double>& sigma, const std::vector<char>& active);
  State derivative_rows(const State& x, const std::vector<double>& t, const std::vector<char>& active);
  // Drift of the reverse-time SDE (EDM eq. 6 with beta = sigma'/sigma):
  //   (s'/s) x - 2 s sigma' (D(x / s; sigma) - x / s) / sigma;
  // its diffusion is s sqrt(2 sigma' sigma).
  State reverse_sde_drift(const State& x, double t);

  // A float32 tensor as a state of this ODE's precision.
  State state(const Tensor& x) const { return State(x, precision_); }
  Precision precision() const { return precision_; }
  const Process& process() const { return p_; }
  // Network evaluations per sample: the shared calls, plus the mean of the per-row counts.
  int64_t nfe() const;

 private:
  const Denoiser& d_;
  const Process& p_;
  Precision precision_;
  int64_t nfe_ = 0;
  std::vector<int64_t> row_nfe_;
};

}  // namespace genlab
