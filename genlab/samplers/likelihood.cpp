#include "genlab/samplers/likelihood.h"

#include <algorithm>

#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {
namespace {

void check(const LikelihoodOptions& o, const Tensor& x0) {
  if (x0.dim() != 2)
    throw std::invalid_argument("likelihood: x0 must be [n, dims], got " + shape_str(x0.shape()));
  if (std::find(likelihood_trace_kinds().begin(), likelihood_trace_kinds().end(), o.trace) ==
      likelihood_trace_kinds().end())
    throw std::invalid_argument("likelihood: unknown trace '" + o.trace +
                                "' (allowed: exact, hutchinson)");
  if (o.probe != "rademacher" && o.probe != "gaussian")
    throw std::invalid_argument("likelihood: unknown probe '" + o.probe +
                                "' (allowed: rademacher, gaussian)");
  if (o.probes < 1) throw std::invalid_argument("likelihood: probes must be >= 1");
  if (!(0 < o.sigma_min && o.sigma_min < o.sigma_max))
    throw std::invalid_argument("likelihood: need 0 < sigma_min < sigma_max");
  if (!(o.sigma_data > 0)) throw std::invalid_argument("likelihood: sigma_data must be > 0");
}

}  // namespace

const std::vector<std::string>& likelihood_trace_kinds() {
  static const std::vector<std::string> kinds{"exact", "hutchinson"};
  return kinds;
}

LikelihoodResult pf_ode_likelihood(const Denoiser& d, const Tensor& x0, const LikelihoodOptions& o,
                                   const StepNoise& probe_noise) {
  check(o, x0);
  const int64_t n = x0.size(0), dims = x0.size(1);
  const Shape shape = x0.shape();
  std::vector<Tensor> probes;
  if (o.trace == "hutchinson")
    for (int k = 0; k < o.probes; ++k) {
      const Generator g = probe_noise.gen.derive(static_cast<uint64_t>(k));
      probes.push_back(o.probe == "rademacher" ? g.rademacher_rows(shape, probe_noise.first_row)
                                               : g.normal_rows(shape, probe_noise.first_row));
    }

  LikelihoodResult result;
  // State: x (n * dims values), then the accumulated integral of div f (n values).
  const OdeRhs rhs = [&](double sigma, const std::vector<double>& y, std::vector<double>& dy) {
    const Tensor x = Tensor::from_vector(std::vector<float>(y.begin(), y.begin() + n * dims), shape)
                         .requires_grad_();
    GradModeGuard grad_on(true);
    const Tensor den = d.denoise(x, Tensor::full({n}, static_cast<float>(sigma)));
    result.nfe += d.evaluations_at(sigma);
    Tensor trace = Tensor::zeros({n});
    if (o.trace == "exact") {
      for (int64_t j = 0; j < dims; ++j) {
        const Tensor e = one_hot(Tensor::from_indices(std::vector<int32_t>(n, static_cast<int32_t>(j)), {n}), dims);
        const Tensor vjp = grad({den}, {x}, {e})[0];
        trace = trace + reshape(slice(vjp, 1, j, j + 1), {n});
        ++result.vjps;
      }
    } else {
      for (const Tensor& e : probes) {
        trace = trace + sum(grad({den}, {x}, {e})[0] * e, {1});
        ++result.vjps;
      }
      trace = trace * (1.0f / static_cast<float>(probes.size()));
    }
    const auto dx = ((x.detach() - den.detach()) * static_cast<float>(1.0 / sigma)).to_vector();
    const auto dlog =
        ((static_cast<float>(dims) - trace.detach()) * static_cast<float>(1.0 / sigma)).to_vector();
    std::copy(dx.begin(), dx.end(), dy.begin());
    std::copy(dlog.begin(), dlog.end(), dy.begin() + n * dims);
  };
  const auto x0v = x0.to_vector();
  std::vector<double> y(x0v.begin(), x0v.end());
  y.resize(n * dims + n, 0.0);
  y = dormand_prince(rhs, o.sigma_min, o.sigma_max, y, o.ode);

  // log N(x_T; 0, v I) with v = sigma_max^2 + sigma_data^2, plus the integral.
  const double v = o.sigma_max * o.sigma_max + o.sigma_data * o.sigma_data;
  std::vector<float> nll(n), bpd(n);
  for (int64_t i = 0; i < n; ++i) {
    double sq = 0;
    for (int64_t j = 0; j < dims; ++j) sq += y[i * dims + j] * y[i * dims + j];
    const double log_prior = -0.5 * sq / v - 0.5 * dims * std::log(2 * M_PI * v);
    nll[i] = static_cast<float>(-(log_prior + y[n * dims + i]));
    bpd[i] = static_cast<float>(nll[i] / (dims * std::log(2.0)));
  }
  result.nll_nats = Tensor::from_vector(nll, {n});
  result.bits_per_dim = Tensor::from_vector(bpd, {n});
  return result;
}

}  // namespace genlab
