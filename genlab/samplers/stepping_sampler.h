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

template <class Options>
class SteppingSampler final : public Sampler {
 public:
  // x_end = step(ode, t, x_start, noise, options)
  using StepFn = State (*)(PfOde&, const std::vector<double>&, State, NoiseSource&,
                           const Options&);
  SteppingSampler(std::string name, bool stochastic, StepFn fn, Options o = {},
                  SamplerSettings settings = {})
      : name_(std::move(name)), stochastic_(stochastic), fn_(fn), o_(o), settings_(settings) {}

  std::string name() const override { return name_; }
  bool stochastic() const override { return stochastic_; }
  SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& t,
                      const Tensor& noise, const StepNoise& step_noise) const override {
    NoGradGuard no_grad;
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
  std::string name_;
  bool stochastic_;
  StepFn fn_;
  Options o_;
  SamplerSettings settings_;
};

}  // namespace genlab
