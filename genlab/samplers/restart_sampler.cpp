// Restart sampling (Xu et al. 2023): Heun steps of the probability-flow ODE along the
// grid; on reaching the grid point nearest sigma = restart_min, restart_times rounds of:
// forward noise up to restart_max (x_hat += sqrt(max^2 - sigma^2) z), then restart_steps
// Heun steps on EDM's rho schedule back down to that point. The ODE's small, contracting
// errors plus the forward noise's contraction of accumulated error is the paper's case
// for it. Each round's noise is one independent draw keyed by the round, so the samples
// of runs with different step counts share it.
#include <cmath>
#include <limits>

#include "genlab/samplers/sampler_registry.h"
#include "genlab/samplers/stepping_sampler.h"

namespace genlab {
namespace {

struct RestartOptions {
  double restart_min = 0.1, restart_max = 2.0;
  int restart_times = 2, restart_steps = 5;
  double s_noise = 1.0, rho = 7.0;
};
template <class V>
void fields(V& v, RestartOptions& o) {
  v.field("restart_min", o.restart_min, "the sigma each restart starts from", above(0));
  v.field("restart_max", o.restart_max, "the sigma forward noise raises it to", above(0));
  v.field("restart_times", o.restart_times, "restart rounds (0: Heun)", between(0, 100));
  v.field("restart_steps", o.restart_steps, "Heun steps back down per round", between(1, 10000));
  v.field("s_noise", o.s_noise, "scale of the added noise (1: exact)", at_least(0));
  v.field("rho", o.rho, "the EDM grid exponent of the steps back down", above(0));
  v.check(o.restart_min < o.restart_max, "restart_min", "needs 0 < restart_min < restart_max");
}

State restart(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
              const RestartOptions& o) {
  const Process& p = ode.process();
  // The restart point: the interior grid point (0 < sigma < restart_max) nearest restart_min.
  size_t at = 0;
  double best = std::numeric_limits<double>::infinity();
  for (size_t j = 1; j < t.size(); ++j) {
    const double sig = p.sigma(t[j]);
    if (sig > 0 && sig < o.restart_max && std::abs(sig - o.restart_min) < best)
      best = std::abs(sig - o.restart_min), at = j;
  }
  uint64_t round = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    x = ode.heun_step(x, t[i], t[i + 1]);
    if (i + 1 != at) continue;
    const double lo = p.sigma(t[at]), hi = o.restart_max;
    // The way back down: restart_steps steps of EDM's rho schedule from hi to lo.
    std::vector<double> inner(static_cast<size_t>(o.restart_steps) + 1);
    for (int m = 0; m <= o.restart_steps; ++m) {
      const double a = std::pow(hi, 1 / o.rho), b = std::pow(lo, 1 / o.rho);
      inner[m] = p.t_of_sigma(std::pow(a + m * (b - a) / o.restart_steps, o.rho));
    }
    inner.front() = p.t_of_sigma(hi), inner.back() = t[at];
    for (int k = 0; k < o.restart_times; ++k) {
      const State x_hat = x * (1.0 / p.s(t[at])) +
                          x.like(noise.independent(round++, x.shape())) *
                              (std::sqrt(hi * hi - lo * lo) * o.s_noise);
      x = x_hat * p.s(inner.front());
      for (size_t m = 0; m + 1 < inner.size(); ++m) x = ode.heun_step(x, inner[m], inner[m + 1]);
    }
  }
  return x;
}

std::unique_ptr<Sampler> make_restart(const AnyOptions& o, const SamplerSettings& f) {
  return std::make_unique<SteppingSampler<RestartOptions>>("restart", true, restart, o.as<RestartOptions>(), f);
}

}  // namespace

const std::vector<SamplerEntry>& restart_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      {.name = "restart",
       .doc = "restart sampling: Heun steps, with rounds of forward noise to restart_max and Heun "
              "back down at restart_min",
       .defaults = AnyOptions::of<RestartOptions>(),
       .steps = 18,
       .make = make_restart,
       .order = [](const AnyOptions& o) { return o.as<RestartOptions>().restart_times == 0 ? 2.0 : 0.0; },  // 0: heun
       // Heun's, plus two per restart step, when the grid has a point below restart_max
       // (the usual case; with none, 2 steps - 1).
       .nfe = [](int64_t n, const AnyOptions& options) {
         const auto& o = options.as<RestartOptions>();
         return 2 * (n - 1) + 1 + 2 * static_cast<int64_t>(o.restart_times) * o.restart_steps;
       }},
  };
  return rows;
}

}  // namespace genlab
