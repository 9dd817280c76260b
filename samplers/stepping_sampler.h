// The shared frame of every sampler: no-grad mode, the ODE over (denoiser, process),
// x at the grid's first time, the NFE count. A sampler is then one function that
// steps x along the grid; this wraps it (with its options) as a named Sampler.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "samplers/pf_ode.h"
#include "samplers/sampler.h"

namespace genlab {

struct NoOptions {};

template <class Options>
class SteppingSampler final : public Sampler {
 public:
  // x_end = step(ode, t, x_start, step_noise, options)
  using StepFn = Tensor (*)(PfOde&, const std::vector<double>&, Tensor, const StepNoise&,
                            const Options&);
  SteppingSampler(std::string name, bool stochastic, StepFn fn, Options o = {})
      : name_(std::move(name)), stochastic_(stochastic), fn_(fn), o_(o) {}

  std::string name() const override { return name_; }
  bool stochastic() const override { return stochastic_; }
  SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& t,
                      const Tensor& noise, const StepNoise& step_noise) const override {
    NoGradGuard no_grad;
    PfOde ode(d, p);
    Tensor x = fn_(ode, t, initial_state(p, t, noise), step_noise, o_);
    return {x, ode.nfe()};
  }

 private:
  std::string name_;
  bool stochastic_;
  StepFn fn_;
  Options o_;
};

}  // namespace genlab
