// Deterministic samplers: euler, heun, ddim, dpmpp_2m, rk4 on a fixed grid and rk45
// (adaptive Dormand-Prince). Each step reads only the grid and the process, so the
// same code runs VP, VE, EDM and flow.
#include "genlab/samplers/ode_samplers.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/samplers/dormand_prince.h"
#include "genlab/samplers/pf_ode.h"
#include "genlab/samplers/sampler_registry.h"
#include "genlab/samplers/stepping_sampler.h"

namespace genlab {
namespace {

Tensor euler(PfOde& ode, const std::vector<double>& t, Tensor x, const StepNoise&,
             const NoOptions&) {
  for (size_t i = 0; i + 1 < t.size(); ++i) x = x + ode.derivative(x, t[i]) * f32(t[i + 1] - t[i]);
  return x;
}

Tensor heun(PfOde& ode, const std::vector<double>& t, Tensor x, const StepNoise&,
            const NoOptions&) {
  for (size_t i = 0; i + 1 < t.size(); ++i) x = ode.heun_step(x, t[i], t[i + 1]);
  return x;
}

// DDIM: exact for a denoiser that is constant over the step. In x_hat = x / s,
// x_hat' = D + (sigma' / sigma) (x_hat - D).
Tensor ddim(PfOde& ode, const std::vector<double>& t, Tensor x, const StepNoise&,
            const NoOptions&) {
  const Process& p = ode.process();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double sig = p.sigma(t[i]), sig_next = p.sigma(t[i + 1]);
    const Tensor x_hat = x * f32(1.0 / p.s(t[i]));
    const Tensor den = ode.denoise(x_hat, sig);
    x = (den + (x_hat - den) * f32(sig_next / sig)) * f32(p.s(t[i + 1]));
  }
  return x;
}

// DPM-Solver++(2M) (Lu et al. 2022, as in k-diffusion): in lambda = -ln sigma the
// second-order multistep combination of this step's and the previous step's D.
Tensor dpmpp_2m(PfOde& ode, const std::vector<double>& t, Tensor x, const StepNoise&,
                const NoOptions&) {
  const Process& p = ode.process();
  Tensor previous;
  double h_previous = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double sig = p.sigma(t[i]), sig_next = p.sigma(t[i + 1]);
    const Tensor x_hat = x * f32(1.0 / p.s(t[i]));
    const Tensor den = ode.denoise(x_hat, sig);
    Tensor next_hat;
    if (sig_next == 0) {
      next_hat = den;  // the limit h -> infinity of the update below
    } else {
      const double h = std::log(sig) - std::log(sig_next);
      Tensor d_used = den;
      if (previous.defined()) {
        const double r = h_previous / h;
        d_used = den * f32(1.0 + 1.0 / (2.0 * r)) - previous * f32(1.0 / (2.0 * r));
      }
      next_hat = x_hat * f32(sig_next / sig) - d_used * f32(std::expm1(-h));
      h_previous = h;
    }
    previous = den;
    x = next_hat * f32(p.s(t[i + 1]));
  }
  return x;
}

// Classic fourth-order Runge-Kutta in process time; the last step into sigma = 0, where
// the ODE is singular, is an Euler step (as in Heun).
Tensor rk4(PfOde& ode, const std::vector<double>& t, Tensor x, const StepNoise&, const NoOptions&) {
  const Process& p = ode.process();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double h = t[i + 1] - t[i];
    const Tensor k1 = ode.derivative(x, t[i]);
    if (!(p.sigma(t[i + 1]) > 0)) {
      x = x + k1 * f32(h);
      continue;
    }
    const Tensor k2 = ode.derivative(x + k1 * f32(h / 2), t[i] + h / 2);
    const Tensor k3 = ode.derivative(x + k2 * f32(h / 2), t[i] + h / 2);
    const Tensor k4 = ode.derivative(x + k3 * f32(h), t[i + 1]);
    x = x + (k1 + k2 * 2.0f + k3 * 2.0f + k4) * f32(h / 6);
  }
  return x;
}

// Dormand-Prince in double precision from t_0 to the grid's last positive-sigma time,
// then the grid's last step (Euler) if it ends at sigma = 0.
Tensor rk45(PfOde& ode, const std::vector<double>& t, Tensor x0, const StepNoise&,
            const OdeSolveOptions& o) {
  const Process& p = ode.process();
  const bool to_zero = !(p.sigma(t.back()) > 0);
  if (to_zero && t.size() < 3)
    throw std::invalid_argument("rk45: the grid must reach a positive sigma before 0");
  const double t_end = to_zero ? t[t.size() - 2] : t.back();
  const Shape shape = x0.shape();
  const OdeRhs rhs = [&](double tt, const std::vector<double>& y, std::vector<double>& dy) {
    const auto dx =
        ode.derivative(Tensor::from_vector(std::vector<float>(y.begin(), y.end()), shape), tt)
            .to_vector();
    dy.assign(dx.begin(), dx.end());
  };
  const auto x0v = x0.to_vector();
  OdeSolveStats stats;
  const auto y =
      dormand_prince(rhs, t.front(), t_end, std::vector<double>(x0v.begin(), x0v.end()), o, &stats);
  Tensor x = Tensor::from_vector(std::vector<float>(y.begin(), y.end()), shape);
  if (to_zero) x = x + ode.derivative(x, t_end) * f32(t.back() - t_end);
  return x;
}


// A sampler without options: the step function wrapped as a named Sampler.
SamplerEntry plain(const char* name, const char* doc, int steps,
                   Tensor (*fn)(PfOde&, const std::vector<double>&, Tensor, const StepNoise&,
                                const NoOptions&)) {
  return {name, doc, {}, steps, [name, fn](const SamplerParams&, FinalStep f) -> std::unique_ptr<Sampler> {
            return std::make_unique<SteppingSampler<NoOptions>>(name, false, fn, NoOptions{}, f);
          }};
}

std::unique_ptr<Sampler> make_rk45(const SamplerParams& o, FinalStep f) {
  require_sampler_option(o.at("rtol") > 0 && o.at("atol") >= 0 && o.at("max_steps") >= 1, "rk45",
                         "needs rtol > 0, atol >= 0 and max_steps >= 1");
  const OdeSolveOptions so{.rtol = o.at("rtol"),
                           .atol = o.at("atol"),
                           .max_steps = static_cast<int64_t>(o.at("max_steps"))};
  return std::make_unique<SteppingSampler<OdeSolveOptions>>("rk45", false, rk45, so, f);
}

}  // namespace

const std::vector<SamplerEntry>& ode_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      plain("euler", "Euler steps of the probability-flow ODE in process time", 100, euler),
      plain("heun", "EDM's Heun (Algorithm 1): second order, Euler into sigma = 0", 18, heun),
      plain("ddim", "DDIM: exact for a denoiser constant over each step", 100, ddim),
      plain("dpmpp_2m", "DPM-Solver++(2M): second-order multistep in log sigma", 25, dpmpp_2m),
      plain("rk4", "classic fourth-order Runge-Kutta in process time", 10, rk4),
      {"rk45", "adaptive Dormand-Prince (double precision): the accuracy reference; steps unused",
       {{"rtol", 1e-5}, {"atol", 1e-5}, {"max_steps", 100000}}, 2, make_rk45, true},
  };
  return rows;
}

}  // namespace genlab
