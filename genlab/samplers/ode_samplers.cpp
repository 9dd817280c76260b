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

State euler(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&, const NoOptions&) {
  for (size_t i = 0; i + 1 < t.size(); ++i) x = x + ode.derivative(x, t[i]) * (t[i + 1] - t[i]);
  return x;
}

State heun(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&, const NoOptions&) {
  for (size_t i = 0; i + 1 < t.size(); ++i) x = ode.heun_step(x, t[i], t[i + 1]);
  return x;
}

// DDIM: exact for a denoiser that is constant over the step. In x_hat = x / s,
// x_hat' = D + (sigma' / sigma) (x_hat - D).
State ddim(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&, const NoOptions&) {
  const Process& p = ode.process();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    x = (den + (x_hat - den) * (sig_next / sig)) * p.s(t[i + 1]);
  }
  return x;
}

// DPM-Solver++(2M) (Lu et al. 2022, as in k-diffusion): in lambda = -ln sigma the
// second-order multistep combination of this step's and the previous step's D.
State dpmpp_2m(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&,
               const NoOptions&) {
  const Process& p = ode.process();
  State previous;
  double h_previous = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    State next_hat;
    if (sig_next == 0) {
      next_hat = den;  // the limit h -> infinity of the update below
    } else {
      const double h = std::log(sig) - std::log(sig_next);
      State d_used = den;
      if (previous.defined()) {
        const double r = h_previous / h;
        d_used = den * (1.0 + 1.0 / (2.0 * r)) - previous * (1.0 / (2.0 * r));
      }
      next_hat = x_hat * (sig_next / sig) - d_used * std::expm1(-h);
      h_previous = h;
    }
    previous = den;
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

// Classic fourth-order Runge-Kutta in process time; the last step into sigma = 0, where
// the ODE is singular, is an Euler step (as in Heun).
State rk4(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&, const NoOptions&) {
  const Process& p = ode.process();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double h = t[i + 1] - t[i];
    const State k1 = ode.derivative(x, t[i]);
    if (!(p.sigma(t[i + 1]) > 0)) {
      x = x + k1 * h;
      continue;
    }
    const State k2 = ode.derivative(x + k1 * (h / 2), t[i] + h / 2);
    const State k3 = ode.derivative(x + k2 * (h / 2), t[i] + h / 2);
    const State k4 = ode.derivative(x + k3 * h, t[i + 1]);
    x = x + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6);
  }
  return x;
}

// Dormand-Prince in double precision from t_0 to sigma_min (SteppingSampler gives an
// adaptive sampler the process's whole range), then the grid's last step (Euler) if it
// ends at sigma = 0. Each sample has its own steps (dormand_prince_rows): its accuracy
// and path do not depend on its batch.
State rk45(PfOde& ode, const std::vector<double>& t, State x0, NoiseSource&,
           const OdeSolveOptions& o) {
  const Process& p = ode.process();
  const bool to_zero = !(p.sigma(t.back()) > 0);
  if (to_zero && t.size() < 3)
    throw std::invalid_argument("rk45: the grid must reach a positive sigma before 0");
  const double t_end = to_zero ? t[t.size() - 2] : t.back();
  const Shape shape = x0.shape();
  // The solver's own state is double; the ODE sees it in the sampler's precision.
  const RowsRhs rhs = [&](const std::vector<double>& tt, const std::vector<double>& y,
                          std::vector<double>& dy, const std::vector<char>& active) {
    dy = ode.derivative_rows(State::from_doubles(y, shape, ode.precision()), tt, active).doubles();
  };
  const auto y = dormand_prince_rows(rhs, t.front(), t_end, x0.doubles(), shape[0], o);
  State x = State::from_doubles(y, shape, ode.precision());
  if (to_zero) x = x + ode.derivative(x, t_end) * (t.back() - t_end);
  return x;
}


// A sampler without options: the step function wrapped as a named Sampler.
SamplerEntry plain(const char* name, const char* doc, int steps, SteppingSampler<NoOptions>::StepFn fn,
                   double order, int64_t evaluations) {
  return {.name = name,
          .doc = doc,
          .defaults = AnyOptions::of<NoOptions>(),
          .steps = steps,
          .make = [name, fn](const AnyOptions&, const SamplerSettings& f) -> std::unique_ptr<Sampler> {
            return std::make_unique<SteppingSampler<NoOptions>>(name, false, fn, NoOptions{}, f);
          },
          .order = fixed_order(order),
          .nfe = evaluations_per_step(evaluations)};
}

// rk45's options: Dormand-Prince's tolerances and its step limit per sample.
struct Rk45Options {
  double rtol = 1e-5, atol = 1e-5;
  int64_t max_steps = 100000;
};
template <class V>
void fields(V& v, Rk45Options& o) {
  v.field("rtol", o.rtol, "relative tolerance of each step's local error", above(0));
  v.field("atol", o.atol, "absolute tolerance of each step's local error", at_least(0));
  v.field("max_steps", o.max_steps, "steps per sample before it gives up", at_least(1));
}

std::unique_ptr<Sampler> make_rk45(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<Rk45Options>();
  const OdeSolveOptions so{.rtol = o.rtol, .atol = o.atol, .max_steps = o.max_steps};
  return std::make_unique<SteppingSampler<OdeSolveOptions>>("rk45", false, rk45, so, f, /*adaptive=*/true);
}

}  // namespace

const std::vector<SamplerEntry>& ode_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      plain("euler", "Euler steps of the probability-flow ODE in process time", 100, euler, 1, 1),
      plain("heun", "EDM's Heun (Algorithm 1): second order, Euler into sigma = 0", 18, heun, 2, 2),
      plain("ddim", "DDIM: exact for a denoiser constant over each step", 100, ddim, 1, 1),
      plain("dpmpp_2m", "DPM-Solver++(2M): second-order multistep in log sigma", 25, dpmpp_2m, 2, 1),
      plain("rk4", "classic fourth-order Runge-Kutta in process time", 10, rk4, 4, 4),
      {.name = "rk45",
       .doc = "adaptive Dormand-Prince (double precision, steps per sample) over the process's whole "
              "sigma range: the accuracy reference; steps and grid unused",
       .defaults = AnyOptions::of<Rk45Options>(),
       .steps = 2,
       .make = make_rk45,
       .adaptive = true,
       .order = fixed_order(5),
       .nfe = adaptive_nfe},
  };
  return rows;
}

}  // namespace genlab
