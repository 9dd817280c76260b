#include "genlab/samplers/pf_ode.h"

#include <cmath>
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

State PfOde::denoise_rows(const State& x_hat, const std::vector<double>& sigma,
                          const std::vector<char>& active) {
  const int64_t n = x_hat.rows();
  if (static_cast<int64_t>(sigma.size()) != n || static_cast<int64_t>(active.size()) != n)
    throw std::invalid_argument("PfOde::denoise_rows: one sigma and one flag per row");
  row_nfe_.resize(static_cast<size_t>(n), 0);
  for (int64_t r = 0; r < n; ++r)
    if (active[r]) row_nfe_[r] += d_.evaluations_at(sigma[r]);
  const Tensor x = x_hat.tensor();
  const std::vector<float> s(sigma.begin(), sigma.end());
  return x_hat.like(d_.denoise(x, Tensor::from_vector(s, {n}).to(x.device())));
}

State PfOde::derivative_rows(const State& x, const std::vector<double>& t, const std::vector<char>& active) {
  const size_t n = t.size();
  std::vector<double> sig(n), inv_s(n), linear(n), data(n);
  for (size_t r = 0; r < n; ++r) {
    const double sg = p_.sigma(t[r]), ds = p_.sigma_deriv(t[r]), s = p_.s(t[r]), dsc = p_.s_deriv(t[r]);
    if (!(sg > 0)) throw std::invalid_argument("probability-flow ODE: derivative needs sigma(t) > 0");
    sig[r] = sg, inv_s[r] = 1.0 / s, linear[r] = ds / sg + dsc / s, data[r] = ds * s / sg;
  }
  const State denoised = denoise_rows(x.scale_rows(inv_s), sig, active);
  return x.scale_rows(linear) - denoised.scale_rows(data);
}

int64_t PfOde::nfe() const {
  if (row_nfe_.empty()) return nfe_;
  double mean = 0;
  for (const int64_t c : row_nfe_) mean += static_cast<double>(c);
  return nfe_ + std::llround(mean / static_cast<double>(row_nfe_.size()));
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
