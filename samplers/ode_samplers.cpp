// Deterministic samplers: euler, heun, ddim, dpmpp_2m, rk4 on a fixed grid and rk45
// (adaptive Dormand-Prince). Each step reads only the grid and the process, so the
// same code runs VP, VE, EDM and flow.
#include "samplers/ode_samplers.h"

#include <cmath>
#include <stdexcept>

#include "core/autograd.h"
#include "core/ops.h"
#include "samplers/dormand_prince.h"
#include "samplers/pf_ode.h"

namespace genlab {
namespace {

float f32(double v) {
  return static_cast<float>(v);
}

SampleResult euler(const Denoiser& d, const Process& p, const std::vector<double>& t,
                   const Tensor& noise) {
  NoGradGuard no_grad;
  PfOde ode(d, p);
  Tensor x = initial_state(p, t, noise);
  for (size_t i = 0; i + 1 < t.size(); ++i) x = x + ode.derivative(x, t[i]) * f32(t[i + 1] - t[i]);
  return {x, ode.nfe()};
}

SampleResult heun(const Denoiser& d, const Process& p, const std::vector<double>& t,
                  const Tensor& noise) {
  NoGradGuard no_grad;
  PfOde ode(d, p);
  Tensor x = initial_state(p, t, noise);
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const float h = f32(t[i + 1] - t[i]);
    const Tensor di = ode.derivative(x, t[i]);
    Tensor next = x + di * h;
    if (p.sigma(t[i + 1]) > 0) next = x + (di + ode.derivative(next, t[i + 1])) * (0.5f * h);
    x = next;
  }
  return {x, ode.nfe()};
}

// DDIM: exact for a denoiser that is constant over the step. In x_hat = x / s,
// x_hat' = D + (sigma' / sigma) (x_hat - D).
SampleResult ddim(const Denoiser& d, const Process& p, const std::vector<double>& t,
                  const Tensor& noise) {
  NoGradGuard no_grad;
  PfOde ode(d, p);
  Tensor x = initial_state(p, t, noise);
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const double sig = p.sigma(t[i]), sig_next = p.sigma(t[i + 1]);
    const Tensor x_hat = x * f32(1.0 / p.s(t[i]));
    const Tensor den = ode.denoise(x_hat, sig);
    x = (den + (x_hat - den) * f32(sig_next / sig)) * f32(p.s(t[i + 1]));
  }
  return {x, ode.nfe()};
}

// DPM-Solver++(2M) (Lu et al. 2022, as in k-diffusion): in lambda = -ln sigma the
// second-order multistep combination of this step's and the previous step's D.
SampleResult dpmpp_2m(const Denoiser& d, const Process& p, const std::vector<double>& t,
                      const Tensor& noise) {
  NoGradGuard no_grad;
  PfOde ode(d, p);
  Tensor x = initial_state(p, t, noise);
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
  return {x, ode.nfe()};
}

// Classic fourth-order Runge-Kutta in process time; the last step into sigma = 0, where
// the ODE is singular, is an Euler step (as in Heun).
SampleResult rk4(const Denoiser& d, const Process& p, const std::vector<double>& t,
                 const Tensor& noise) {
  NoGradGuard no_grad;
  PfOde ode(d, p);
  Tensor x = initial_state(p, t, noise);
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
  return {x, ode.nfe()};
}

// Dormand-Prince in double precision from t_0 to the grid's last positive-sigma time,
// then the grid's last step (Euler) if it ends at sigma = 0.
SampleResult rk45(const Denoiser& d, const Process& p, const std::vector<double>& t,
                  const Tensor& noise, const OdeSolveOptions& o) {
  NoGradGuard no_grad;
  PfOde ode(d, p);
  const Tensor x0 = initial_state(p, t, noise);
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
  return {x, ode.nfe()};
}

using GridFn = SampleResult (*)(const Denoiser&, const Process&, const std::vector<double>&,
                                const Tensor&);

class FixedGridSampler final : public Sampler {
 public:
  FixedGridSampler(std::string name, GridFn fn) : name_(std::move(name)), fn_(fn) {}
  std::string name() const override { return name_; }
  SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& t,
                      const Tensor& noise, const StepNoise&) const override {
    return fn_(d, p, t, noise);
  }

 private:
  std::string name_;
  GridFn fn_;
};

class Rk45Sampler final : public Sampler {
 public:
  explicit Rk45Sampler(const OdeSolveOptions& o) : o_(o) {}
  std::string name() const override { return "rk45"; }
  SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& t,
                      const Tensor& noise, const StepNoise&) const override {
    return rk45(d, p, t, noise, o_);
  }

 private:
  OdeSolveOptions o_;
};

}  // namespace

std::unique_ptr<Sampler> make_euler_sampler() {
  return std::make_unique<FixedGridSampler>("euler", euler);
}
std::unique_ptr<Sampler> make_heun_sampler() {
  return std::make_unique<FixedGridSampler>("heun", heun);
}
std::unique_ptr<Sampler> make_ddim_sampler() {
  return std::make_unique<FixedGridSampler>("ddim", ddim);
}
std::unique_ptr<Sampler> make_dpmpp_2m_sampler() {
  return std::make_unique<FixedGridSampler>("dpmpp_2m", dpmpp_2m);
}
std::unique_ptr<Sampler> make_rk4_sampler() {
  return std::make_unique<FixedGridSampler>("rk4", rk4);
}
std::unique_ptr<Sampler> make_rk45_sampler(const OdeSolveOptions& o) {
  return std::make_unique<Rk45Sampler>(o);
}

}  // namespace genlab
