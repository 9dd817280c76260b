#include "genlab/samplers/pf_ode.h"

#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

Tensor initial_state(const Process& p, const std::vector<double>& t, const Tensor& noise) {
  if (t.size() < 2) throw std::invalid_argument("sampler: the time grid needs at least 2 points");
  if (noise.dim() != 2)
    throw std::invalid_argument("sampler: noise must be [n, dims], got " +
                                shape_str(noise.shape()));
  return noise * static_cast<float>(p.s(t[0]) * p.sigma(t[0]));
}

State PfOde::denoise(const State& x_hat, double sigma) {
  nfe_ += d_.evaluations_at(sigma);
  const Tensor x = x_hat.tensor();
  return x_hat.like(
      d_.denoise(x, Tensor::full({x.size(0)}, static_cast<float>(sigma), x.device())));
}

State PfOde::derivative(const State& x, double t) {
  const double sig = p_.sigma(t), ds = p_.sigma_deriv(t), s = p_.s(t), dsc = p_.s_deriv(t);
  if (!(sig > 0))
    throw std::invalid_argument("probability-flow ODE: derivative needs sigma(t) > 0");
  const State denoised = denoise(x * (1.0 / s), sig);
  return x * (ds / sig + dsc / s) - denoised * (ds * s / sig);
}

State PfOde::heun_step(const State& x, double t, double t_next) {
  const double h = t_next - t;
  const State d = derivative(x, t);
  const State euler = x + d * h;
  if (!(p_.sigma(t_next) > 0)) return euler;
  return x + (d + derivative(euler, t_next)) * (0.5 * h);
}

PfOde::DenoisedStep PfOde::denoised_step(const State& x, double t, double t_next) {
  DenoisedStep d{p_.sigma(t), p_.sigma(t_next), x * (1.0 / p_.s(t)), State()};
  d.den = denoise(d.x_hat, d.sigma);
  return d;
}

State PfOde::reverse_sde_drift(const State& x, double t) {
  const double sig = p_.sigma(t), ds = p_.sigma_deriv(t), s = p_.s(t), dsc = p_.s_deriv(t);
  if (!(sig > 0)) throw std::invalid_argument("reverse SDE: drift needs sigma(t) > 0");
  const State x_hat = x * (1.0 / s);
  const State denoised = denoise(x_hat, sig);
  return x * (dsc / s) - (denoised - x_hat) * (2.0 * s * ds / sig);
}

}  // namespace genlab
