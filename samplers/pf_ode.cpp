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

Tensor PfOde::denoise(const Tensor& x_hat, double sigma) {
  nfe_ += d_.evaluations_at(sigma);
  return d_.denoise(x_hat,
                    Tensor::full({x_hat.size(0)}, static_cast<float>(sigma), x_hat.device()));
}

Tensor PfOde::derivative(const Tensor& x, double t) {
  const double sig = p_.sigma(t), ds = p_.sigma_deriv(t), s = p_.s(t), dsc = p_.s_deriv(t);
  if (!(sig > 0))
    throw std::invalid_argument("probability-flow ODE: derivative needs sigma(t) > 0");
  const Tensor denoised = denoise(x * static_cast<float>(1.0 / s), sig);
  return x * static_cast<float>(ds / sig + dsc / s) - denoised * static_cast<float>(ds * s / sig);
}

Tensor PfOde::heun_step(const Tensor& x, double t, double t_next) {
  const float h = static_cast<float>(t_next - t);
  const Tensor d = derivative(x, t);
  const Tensor euler = x + d * h;
  if (!(p_.sigma(t_next) > 0)) return euler;
  return x + (d + derivative(euler, t_next)) * (0.5f * h);
}

Tensor PfOde::reverse_sde_drift(const Tensor& x, double t) {
  const double sig = p_.sigma(t), ds = p_.sigma_deriv(t), s = p_.s(t), dsc = p_.s_deriv(t);
  if (!(sig > 0)) throw std::invalid_argument("reverse SDE: drift needs sigma(t) > 0");
  const Tensor x_hat = x * static_cast<float>(1.0 / s);
  const Tensor denoised = denoise(x_hat, sig);
  return x * static_cast<float>(dsc / s) -
         (denoised - x_hat) * static_cast<float>(2.0 * s * ds / sig);
}

}  // namespace genlab
