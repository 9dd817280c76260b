// The shared frame of every sampler: no-grad mode, the ODE over (denoiser, process),
// x at the grid's first time, the final step into sigma = 0, the NFE count. A sampler is
// then one function that steps x along the grid; this wraps it (with its options) as a
// named Sampler.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/samplers/pf_ode.h"
#include "genlab/samplers/sampler.h"

namespace genlab {

struct NoOptions {};

template <class Options>
class SteppingSampler final : public Sampler {
 public:
  // x_end = step(ode, t, x_start, step_noise, options)
  using StepFn = Tensor (*)(PfOde&, const std::vector<double>&, Tensor, const StepNoise&,
                            const Options&);
  SteppingSampler(std::string name, bool stochastic, StepFn fn, Options o = {},
                  FinalStep final_step = FinalStep::denoise)
      : name_(std::move(name)), stochastic_(stochastic), fn_(fn), o_(o), final_(final_step) {}

  std::string name() const override { return name_; }
  bool stochastic() const override { return stochastic_; }
  SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& t,
                      const Tensor& noise, const StepNoise& step_noise) const override {
    NoGradGuard no_grad;
    PfOde ode(d, p);
    const Tensor x0 = initial_state(p, t, noise);
    const bool denoise_last = final_ == FinalStep::denoise && t.size() >= 3 && !(p.sigma(t.back()) > 0);
    if (!denoise_last) return {fn_(ode, t, x0, step_noise, o_), ode.nfe()};
    // Every step but the last with the sampler's own rule, then x = s(0) D(x / s; sigma).
    const std::vector<double> head(t.begin(), t.end() - 1);
    const double t_last = head.back();
    const Tensor x = fn_(ode, head, x0, step_noise, o_);
    const Tensor den = ode.denoise(x * f32(1.0 / p.s(t_last)), p.sigma(t_last));
    return {den * f32(p.s(t.back())), ode.nfe()};
  }

 private:
  std::string name_;
  bool stochastic_;
  StepFn fn_;
  Options o_;
  FinalStep final_;
};

}  // namespace genlab
