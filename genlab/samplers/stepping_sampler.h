// The shared frame of every sampler: no-grad mode, the ODE over (denoiser, process) in the
// chosen precision, the noise source, x at the grid's first time, the final step into
// sigma = 0, the NFE count. A sampler is then one function that steps x along the grid;
// this wraps it (with its options) as a named Sampler.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/samplers/noise_source.h"
#include "genlab/samplers/pf_ode.h"
#include "genlab/samplers/sampler.h"

namespace genlab {

struct NoOptions {};
template <class V>
void fields(V&, NoOptions&) {}

template <class Options>
class SteppingSampler final : public Sampler {
 public:
  // x_end = step(ode, t, x_start, noise, options)
  using StepFn = State (*)(PfOde&, const std::vector<double>&, State, NoiseSource&,
                           const Options&);
  // adaptive: the sampler chooses its own steps and integrates the process's whole sigma
  // range, from the grid's first time to sigma_min (then the grid's last step, when it
  // ends at 0), whatever the grid's interior: a grid whose points do not span the range
  // (the flow grid at few steps) must not shorten it.
  SteppingSampler(std::string name, bool stochastic, StepFn fn, Options o = {},
                  SamplerSettings settings = {}, bool adaptive = false)
      : name_(std::move(name)), stochastic_(stochastic), fn_(fn), o_(o), settings_(settings),
        adaptive_(adaptive) {}

  std::string name() const override { return name_; }
  bool stochastic() const override { return stochastic_; }
  SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& grid,
                      const Tensor& noise, const StepNoise& step_noise) const override {
    NoGradGuard no_grad;
    const std::vector<double> t = adaptive_ ? whole_range(p, grid) : grid;
    PfOde ode(d, p, settings_.precision);
    NoiseSource source(step_noise, settings_.noise);
    const State x0 = ode.state(initial_state(p, t, noise));
    const bool denoise_last = settings_.final_step == FinalStep::denoise && t.size() >= 3 &&
                              !(p.sigma(t.back()) > 0);
    if (!denoise_last) return {fn_(ode, t, x0, source, o_).tensor(), ode.nfe()};
    // Every step but the last with the sampler's own rule, then x = s(0) D(x / s; sigma).
    const std::vector<double> head(t.begin(), t.end() - 1);
    const double t_last = head.back();
    const State x = fn_(ode, head, x0, source, o_);
    const State den = ode.denoise(x * (1.0 / p.s(t_last)), p.sigma(t_last));
    return {(den * p.s(t.back())).tensor(), ode.nfe()};
  }

 private:
  // {t_0, t(sigma_min)} (+ the grid's end when it is sigma = 0).
  static std::vector<double> whole_range(const Process& p, const std::vector<double>& t) {
    if (t.size() < 2) return t;
    const bool to_zero = !(p.sigma(t.back()) > 0);
    const double t_min = p.t_of_sigma(p.sigma_min());
    std::vector<double> out{t.front(), to_zero ? t_min : t.back()};
    if (to_zero) out.push_back(t.back());
    return out;
  }

  std::string name_;
  bool stochastic_;
  StepFn fn_;
  Options o_;
  SamplerSettings settings_;
  bool adaptive_;
};

}  // namespace genlab
