// Stochastic samplers (interface in sampler.h; make_sampler builds them by name from the
// rows of sde_sampler_entries()). Their
// fresh noise comes from a NoiseSource (noise_source.h): independent draws (draw k for
// the k-th injection) or a Brownian tree, so every sample's path is fixed by the seed and
// its index. Each ends with a deterministic step into sigma = 0 when the grid does.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "genlab/core/options.h"

#include "genlab/samplers/sampler_registry.h"

namespace genlab {

// EDM Algorithm 2 for a general process: raise sigma_i to sigma_hat = (1 + gamma) sigma_i
// by adding noise (gamma = min(S_churn / N, sqrt 2 - 1) while S_tmin <= sigma_i <= S_tmax),
// then a Heun step from t(sigma_hat) to t_{i+1}.
struct EdmStochasticOptions {
  double S_churn = 40, S_tmin = 0.05, S_tmax = 50, S_noise = 1.003;
};
template <class V>
void fields(V& v, EdmStochasticOptions& o) {
  v.field("S_churn", o.S_churn, "total churn over the grid (0: Heun, deterministic)", at_least(0));
  v.field("S_tmin", o.S_tmin, "churn only for sigma >= S_tmin", at_least(0));
  v.field("S_tmax", o.S_tmax, "churn only for sigma <= S_tmax", at_least(0));
  v.field("S_noise", o.S_noise, "scale of the added noise (1: exact)", above(0));
  v.check(o.S_tmin <= o.S_tmax, "S_tmin", "needs S_tmin <= S_tmax");
}

// euler_maruyama: Euler-Maruyama on the reverse-time SDE (EDM eq. 6 with beta = sigma'/sigma).

// Ancestral sampling (as k-diffusion's euler_ancestral): a DDIM step down to sigma_down,
// then fresh noise of sigma_up, with sigma_up^2 = eta^2 s'^2 (s^2 - s'^2) / s^2 (at most
// s'^2) and sigma_down^2 + sigma_up^2 = s'^2 (s, s': this and the next sigma). eta = 0 is DDIM.
// s_noise scales the added noise (1: exact).
struct AncestralOptions {
  double eta = 1.0, s_noise = 1.0;
};
template <class V>
void fields(V& v, AncestralOptions& o) {
  v.field("eta", o.eta, "fraction of the step's noise drawn fresh (0: the ODE solver)", at_least(0));
  v.field("s_noise", o.s_noise, "scale of the added noise (1: exact)", at_least(0));
}
// eta = 0 (or s_noise = 0) leaves an ODE solver: deterministic.
inline bool draws_noise(const AncestralOptions& o) {
  return o.eta > 0 && o.s_noise > 0;
}

// {sigma_down, sigma_up} of an ancestral step from sigma to sigma_next (k-diffusion's
// get_ancestral_step).
inline std::pair<double, double> ancestral_step(double sigma, double sigma_next, double eta) {
  if (!(eta > 0)) return {sigma_next, 0.0};
  const double up = std::min(
      sigma_next,
      eta * std::sqrt(sigma_next * sigma_next * (sigma * sigma - sigma_next * sigma_next) /
                      (sigma * sigma)));
  return {std::sqrt(sigma_next * sigma_next - up * up), up};
}

// Predictor-corrector (Song et al. 2021): at each level, `corrector_steps` Langevin steps
// x += e score + sqrt(2 e) z with e = 2 (snr |z| / |score|)^2 taken with the score's
// noise-level norm |z| / sigma, i.e. e = 2 (snr sigma)^2 for every sample (batch means of
// the norms, as in their code, would tie a sample to its batch), then an Euler-Maruyama
// reverse-SDE predictor step to the next level.
struct PcOptions {
  double snr = 0.16;
  int corrector_steps = 1;
};
template <class V>
void fields(V& v, PcOptions& o) {
  v.field("snr", o.snr, "signal-to-noise ratio of the Langevin corrector", above(0));
  v.field("corrector_steps", o.corrector_steps, "Langevin steps per level", between(0, 1000));
}

}  // namespace genlab
