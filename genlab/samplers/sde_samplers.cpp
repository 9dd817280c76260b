// Stochastic samplers: EDM's churn-and-Heun (Algorithm 2), Euler-Maruyama on the reverse
// SDE, ancestral sampling and predictor-corrector with a Langevin corrector.
#include "genlab/samplers/sde_samplers.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/samplers/pf_ode.h"
#include "genlab/samplers/sampler_registry.h"
#include "genlab/samplers/stepping_sampler.h"

namespace genlab {
namespace {

// One Euler-Maruyama step of the reverse SDE from t to t_next (< t); into sigma = 0 it is
// the probability-flow Euler step (the SDE's noise vanishes there and its drift is singular).
State reverse_sde_step(PfOde& ode, const State& x, double t, double t_next, NoiseSource& noise,
                       uint64_t k) {
  const Process& p = ode.process();
  const double h = t_next - t;
  if (!(p.sigma(t_next) > 0)) return x + ode.derivative(x, t) * h;
  const double g = p.s(t) * std::sqrt(2.0 * p.sigma_deriv(t) * p.sigma(t));
  return x + ode.reverse_sde_drift(x, t) * h +
         x.like(noise.draw(k, x.shape(), p.sigma(t), p.sigma(t_next))) * (g * std::sqrt(-h));
}

State edm_stochastic(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                     const EdmStochasticOptions& o) {
  const Process& p = ode.process();
  const double steps = static_cast<double>(t.size() - 1);
  const double gamma_max = std::min(o.S_churn / steps, std::sqrt(2.0) - 1.0);
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double sig = p.sigma(t[i]);
    const bool churn = gamma_max > 0 && sig >= o.S_tmin && sig <= o.S_tmax;
    double t_hat = t[i];
    if (churn) {
      const double sig_hat = sig * (1.0 + gamma_max);
      t_hat = p.t_of_sigma(sig_hat);
      // x_hat = s(t_hat) (x_i / s(t_i) + sqrt(sig_hat^2 - sig^2) S_noise eps). A Brownian
      // eps is the path's increment over this step's interval [sigma_i+1, sigma_i].
      const double s_hat = p.s(t_hat);
      x = x * (s_hat / p.s(t[i])) +
          x.like(noise.draw(i, x.shape(), sig, p.sigma(t[i + 1]))) *
              (s_hat * std::sqrt(sig_hat * sig_hat - sig * sig) * o.S_noise);
    }
    x = ode.heun_step(x, t_hat, t[i + 1]);
  }
  return x;
}

State euler_maruyama(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                     const NoOptions&) {
  for (size_t i = 0; i + 1 < t.size(); ++i) x = reverse_sde_step(ode, x, t[i], t[i + 1], noise, i);
  return x;
}

State euler_ancestral(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                      const AncestralOptions& o) {
  const Process& p = ode.process();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    State next_hat = den;
    if (sig_next > 0) {
      const auto [down, up] = ancestral_step(sig, sig_next, o.eta);
      next_hat = den + (x_hat - den) * (down / sig);
      if (up > 0)
        next_hat = next_hat + x.like(noise.draw(i, x.shape(), sig, sig_next)) * (up * o.s_noise);
    }
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

State predictor_corrector(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                          const PcOptions& o) {
  const Process& p = ode.process();
  const uint64_t draws_per_level = static_cast<uint64_t>(o.corrector_steps) + 1;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double sig = p.sigma(t[i]), s = p.s(t[i]);
    State x_hat = x * (1.0 / s);
    for (int j = 0; j < o.corrector_steps; ++j) {
      const State score = (ode.denoise(x_hat, sig) - x_hat) * (1.0 / (sig * sig));
      const State z = x.like(noise.independent(i * draws_per_level + j, x.shape()));
      // Song et al.'s step 2 (snr |z| / |score|)^2 with |score| at its noise-level
      // value |z| / sigma: e = 2 (snr sigma)^2, the same for every sample. (Their code
      // takes both norms as batch means, which ties a sample to its batch; per-sample
      // norms explode where the score vanishes, at modes, and are heavy-tailed in low
      // dimensions.)
      const double e = f32(2.0 * o.snr * o.snr * sig * sig);
      x_hat = x_hat + score * e + z * std::sqrt(2.0 * e);
    }
    x = reverse_sde_step(ode, x_hat * s, t[i], t[i + 1], noise,
                         i * draws_per_level + o.corrector_steps);
  }
  return x;
}

template <class Options>
std::unique_ptr<Sampler> stepping(const char* name, typename SteppingSampler<Options>::StepFn fn,
                                  const Options& o, const SamplerSettings& f, bool stochastic = true) {
  return std::make_unique<SteppingSampler<Options>>(name, stochastic, fn, o, f);
}

std::unique_ptr<Sampler> make_edm_stochastic(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<EdmStochasticOptions>();
  return stepping("edm_stochastic", edm_stochastic, o, f, o.S_churn > 0);
}

std::unique_ptr<Sampler> make_euler_ancestral(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<AncestralOptions>();
  return stepping("euler_ancestral", euler_ancestral, o, f, draws_noise(o));
}

std::unique_ptr<Sampler> make_pc(const AnyOptions& options, const SamplerSettings& f) {
  return stepping("pc", predictor_corrector, options.as<PcOptions>(), f);
}

}  // namespace

const std::vector<SamplerEntry>& sde_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      {.name = "edm_stochastic",
       .doc = "EDM's stochastic sampler (Algorithm 2): churn, then a Heun step",
       .defaults = AnyOptions::of<EdmStochasticOptions>(),
       .steps = 64,
       .make = make_edm_stochastic,
       .noise = true,
       .order = [](const AnyOptions& o) { return o.as<EdmStochasticOptions>().S_churn == 0 ? 2.0 : 0.0; },  // 0: heun
       .nfe = evaluations_per_step(2)},
      {.name = "euler_maruyama",
       .doc = "Euler-Maruyama on the reverse-time SDE",
       .defaults = AnyOptions::of<NoOptions>(),
       .steps = 250,
       .make = [](const AnyOptions&, const SamplerSettings& f) {
         return stepping("euler_maruyama", euler_maruyama, NoOptions{}, f);
       },
       .noise = true,
       .order = fixed_order(0),
       .nfe = evaluations_per_step(1)},
      {.name = "euler_ancestral",
       .doc = "ancestral sampling (DDIM step + fresh noise; eta = 0 is DDIM)",
       .defaults = AnyOptions::of<AncestralOptions>(),
       .steps = 400,
       .make = make_euler_ancestral,
       .noise = true,
       .order = [](const AnyOptions& o) { return draws_noise(o.as<AncestralOptions>()) ? 0.0 : 1.0; },
       .nfe = evaluations_per_step(1)},
      // No brownian_tree: the Langevin corrector's noise belongs to no interval of sigma,
      // so a run's samples would still change character with the step count.
      {.name = "pc",
       .doc = "predictor-corrector: Langevin corrector steps + Euler-Maruyama predictor",
       .defaults = AnyOptions::of<PcOptions>(),
       .steps = 250,
       .make = make_pc,
       .order = fixed_order(0),
       .nfe = [](int64_t n, const AnyOptions& o) {
         return (1 + static_cast<int64_t>(o.as<PcOptions>().corrector_steps)) * (n - 1) + 1;
       }},
  };
  return rows;
}

}  // namespace genlab
