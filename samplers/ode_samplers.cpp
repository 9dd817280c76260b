#include "samplers/ode_samplers.h"

#include <cmath>
#include <stdexcept>

#include "core/autograd.h"
#include "core/ops.h"

namespace genlab {
namespace {

// dx/dt of the probability-flow ODE at time t (sigma(t) > 0).
Tensor ode_derivative(const Denoiser& d, const Process& p, const Tensor& x, double t, int64_t& nfe) {
  const double sig = p.sigma(t), ds = p.sigma_deriv(t), s = p.s(t), dsc = p.s_deriv(t);
  const Tensor sigma = Tensor::full({x.size(0)}, static_cast<float>(sig), x.device());
  const Tensor denoised = d.denoise(x * static_cast<float>(1.0 / s), sigma);
  ++nfe;
  return x * static_cast<float>(ds / sig + dsc / s) - denoised * static_cast<float>(ds * s / sig);
}

void check_grid(const std::vector<double>& t, const Tensor& noise) {
  if (t.size() < 2) throw std::invalid_argument("sampler: need at least 2 time points");
  if (noise.dim() != 2) throw std::invalid_argument("sampler: noise must be [n, dims], got " + shape_str(noise.shape()));
}

template <bool kHeun>
SampleResult integrate(const Denoiser& d, const Process& p, const std::vector<double>& t, const Tensor& noise) {
  check_grid(t, noise);
  NoGradGuard no_grad;
  SampleResult r;
  Tensor x = noise * static_cast<float>(p.s(t[0]) * p.sigma(t[0]));
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const float h = static_cast<float>(t[i + 1] - t[i]);
    const Tensor di = ode_derivative(d, p, x, t[i], r.nfe);
    Tensor next = x + di * h;
    if (kHeun && p.sigma(t[i + 1]) > 0) {
      const Tensor dn = ode_derivative(d, p, next, t[i + 1], r.nfe);
      next = x + (di + dn) * (0.5f * h);
    }
    x = next;
  }
  r.x = x;
  return r;
}

}  // namespace

std::vector<double> karras_times(const Process& p, int n, double rho) {
  if (n < 1) throw std::invalid_argument("karras_times: need at least 1 step");
  const double lo = std::pow(p.sigma_min(), 1.0 / rho), hi = std::pow(p.sigma_max(), 1.0 / rho);
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    const double frac = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    t.push_back(p.t_of_sigma(std::pow(hi + frac * (lo - hi), rho)));
  }
  t.push_back(p.t_of_sigma(0.0));
  return t;
}

SampleResult sample_euler(const Denoiser& d, const Process& p, const std::vector<double>& t,
                          const Tensor& noise) {
  return integrate<false>(d, p, t, noise);
}

SampleResult sample_heun(const Denoiser& d, const Process& p, const std::vector<double>& t,
                         const Tensor& noise) {
  return integrate<true>(d, p, t, noise);
}

}  // namespace genlab
