#include "genlab/models/diffusion/preconditioning.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/core/ops.h"
#include "genlab/samplers/process.h"

namespace genlab {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

void require_member(const std::string& what, const std::string& value,
                    const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    throw std::invalid_argument("unknown " + what + " '" + value +
                                "' (allowed: " + joined(allowed) + ")");
}

}  // namespace

const std::vector<std::string>& preconditioning_processes() {
  return process_names();
}

const std::vector<std::string>& flow_t_distributions() {
  static const std::vector<std::string> v{"uniform", "logit_normal"};
  return v;
}

const std::vector<std::string>& output_parameterizations() {
  static const std::vector<std::string> v{"native", "raw", "eps", "x0", "v", "flow"};
  return v;
}

Preconditioning::Preconditioning(const PreconditioningOptions& options) : o_(options) {
  require_member("diffusion process", o_.process, preconditioning_processes());
  require_member("output parameterization", o_.parameterization, output_parameterizations());
  require_member("flow t distribution", o_.flow_t, flow_t_distributions());
  if (!(o_.sigma_data > 0)) throw std::invalid_argument("sigma_data must be > 0");
  // The process's own row of docs/MATH.md's table: VP predicts eps (c_out = -sigma), VE
  // c_out = +sigma (NCSN's -eps), EDM the raw F, flow the velocity.
  param_ = o_.parameterization;
  if (param_ == "native")
    param_ = o_.process == "vp"    ? "eps"
             : o_.process == "ve"  ? "neg_eps"
             : o_.process == "edm" ? "raw"
                                   : "flow";
}

double Preconditioning::vp_t(double sigma) const {
  const double b = o_.vp_beta_min, d = o_.vp_beta_d;
  return (std::sqrt(b * b + 2.0 * d * std::log1p(sigma * sigma)) - b) / d;
}

double Preconditioning::vp_sigma(double t) const {
  return std::sqrt(std::expm1(0.5 * o_.vp_beta_d * t * t + o_.vp_beta_min * t));
}

Preconditioning::Scalars Preconditioning::at(double sigma) const {
  const double sd = o_.sigma_data, s2 = sigma * sigma, sd2 = sd * sd;
  Scalars c{};
  // Input scaling, noise conditioning and loss weight: the process's row.
  if (o_.process == "vp") {
    c.c_in = 1.0 / std::sqrt(s2 + 1.0);
    c.c_noise = (o_.vp_m - 1.0) * vp_t(sigma);
    c.weight = 1.0 / s2;
  } else if (o_.process == "ve") {
    c.c_in = 1.0;
    c.c_noise = std::log(0.5 * sigma);
    c.weight = 1.0 / s2;
  } else if (o_.process == "edm") {
    c.c_in = 1.0 / std::sqrt(s2 + sd2);
    c.c_noise = 0.25 * std::log(sigma);
    c.weight = (s2 + sd2) / (s2 * sd2);
  } else {  // flow
    c.c_in = 1.0 / (1.0 + sigma);
    c.c_noise = sigma / (1.0 + sigma);
    c.weight = (1.0 + sigma) * (1.0 + sigma) / s2;
  }
  // Output: D = c_skip x + c_out F.
  if (param_ == "raw") {
    c.c_skip = sd2 / (s2 + sd2), c.c_out = sigma * sd / std::sqrt(s2 + sd2);
    c.c_skip_minus_one = -s2 / (s2 + sd2);
  } else if (param_ == "eps") {
    c.c_skip = 1.0, c.c_out = -sigma, c.c_skip_minus_one = 0.0;
  } else if (param_ == "neg_eps") {
    c.c_skip = 1.0, c.c_out = sigma, c.c_skip_minus_one = 0.0;
  } else if (param_ == "x0") {
    c.c_skip = 0.0, c.c_out = 1.0, c.c_skip_minus_one = -1.0;
  } else if (param_ == "v") {
    // v = alpha eps - sigma_bar x0 with alpha = 1 / sqrt(1 + sigma^2) (Salimans & Ho):
    // x0 = alpha^2 x - sigma_bar v.
    c.c_skip = 1.0 / (1.0 + s2), c.c_out = -sigma / std::sqrt(1.0 + s2);
    c.c_skip_minus_one = -s2 / (1.0 + s2);
  } else {  // flow: F = eps - x0, x0 = x_t - t F with x_t = x / (1 + sigma), t = sigma / (1 +
            // sigma)
    c.c_skip = 1.0 / (1.0 + sigma), c.c_out = -sigma / (1.0 + sigma);
    c.c_skip_minus_one = -sigma / (1.0 + sigma);
  }
  return c;
}

PreconditioningCoefficients Preconditioning::coefficients(const Tensor& sigma) const {
  if (sigma.dim() != 1)
    throw std::invalid_argument("preconditioning: sigma must be [batch], got " +
                                shape_str(sigma.shape()));
  // Host memory is read for free; on a GPU the check would cost a sync every step, and
  // sigma there comes from sample_sigma or a sampler's grid, both positive by construction.
  if (sigma.device() == Device::cpu)
    for (float s : sigma.to_vector())
      if (!(s > 0)) throw std::invalid_argument("preconditioning: sigma must be > 0");
  // The formulas of at(), as tensor expressions in float on sigma's device: no host round
  // trip per step (at() stays, in double, for tests and scalar callers).
  const int64_t n = sigma.numel();
  const float sd = static_cast<float>(o_.sigma_data), sd2 = sd * sd;
  const Tensor s2 = square(sigma);
  const Tensor one = Tensor::ones_like(sigma);
  Tensor c_in, c_noise, weight;
  if (o_.process == "vp") {
    const float b = static_cast<float>(o_.vp_beta_min), d = static_cast<float>(o_.vp_beta_d);
    c_in = reciprocal(sqrt(s2 + 1.0f));
    const Tensor t = (sqrt(log1p(s2) * (2.0f * d) + b * b) - b) * (1.0f / d);
    c_noise = t * static_cast<float>(o_.vp_m - 1.0);
    weight = reciprocal(s2);
  } else if (o_.process == "ve") {
    c_in = one;
    c_noise = log(sigma * 0.5f);
    weight = reciprocal(s2);
  } else if (o_.process == "edm") {
    c_in = reciprocal(sqrt(s2 + sd2));
    c_noise = log(sigma) * 0.25f;
    weight = (s2 + sd2) / (s2 * sd2);
  } else {  // flow
    c_in = reciprocal(sigma + 1.0f);
    c_noise = sigma / (sigma + 1.0f);
    weight = square(sigma + 1.0f) / s2;
  }
  Tensor c_skip, c_out, c_skip_minus_one;
  if (param_ == "raw") {
    c_skip = sd2 / (s2 + sd2);
    c_out = sigma * sd / sqrt(s2 + sd2);
    c_skip_minus_one = -(s2 / (s2 + sd2));
  } else if (param_ == "eps" || param_ == "neg_eps") {
    c_skip = one;
    c_out = param_ == "eps" ? -sigma : sigma;
    c_skip_minus_one = Tensor::zeros_like(sigma);
  } else if (param_ == "x0") {
    c_skip = Tensor::zeros_like(sigma);
    c_out = one;
    c_skip_minus_one = -one;
  } else if (param_ == "v") {
    c_skip = reciprocal(s2 + 1.0f);
    c_out = -(sigma / sqrt(s2 + 1.0f));
    c_skip_minus_one = -(s2 / (s2 + 1.0f));
  } else {  // flow
    c_skip = reciprocal(sigma + 1.0f);
    c_out = -(sigma / (sigma + 1.0f));
    c_skip_minus_one = c_out;
  }
  const Shape column{n, 1};
  return {reshape(c_skip, column), reshape(c_out, column), reshape(c_in, column),
          c_noise, weight, reshape(c_skip_minus_one, column)};
}

Tensor Preconditioning::sample_sigma(int64_t n, Generator& rng) const {
  if (o_.process == "edm")
    return exp(rng.normal({n}, static_cast<float>(o_.p_mean), static_cast<float>(o_.p_std)));
  if (o_.process == "ve") {
    const Tensor u = rng.uniform({n}, static_cast<float>(std::log(o_.ve_sigma_min)),
                                 static_cast<float>(std::log(o_.ve_sigma_max)));
    return exp(u);
  }
  const Tensor t = (o_.process == "flow" && o_.flow_t == "logit_normal")
                       ? sigmoid(rng.normal({n}, static_cast<float>(o_.logit_mean),
                                            static_cast<float>(o_.logit_std)))
                       : rng.uniform({n});
  if (o_.process == "vp") {  // sigma(t) = sqrt(expm1(beta_d t^2 / 2 + beta_min t))
    const float eps = static_cast<float>(o_.vp_epsilon_t);
    const Tensor tt = t * (1.0f - eps) + eps;
    return sqrt(expm1(square(tt) * static_cast<float>(0.5 * o_.vp_beta_d) +
                      tt * static_cast<float>(o_.vp_beta_min)));
  }
  const float lo = static_cast<float>(o_.flow_t_eps);
  const Tensor tt = clamp(t, lo, 1.0f - lo);
  return tt / (1.0f - tt);
}

double Preconditioning::sigma_of_c_noise(double c) const {
  if (o_.process == "vp") return vp_sigma(c / (o_.vp_m - 1.0));
  if (o_.process == "ve") return 2.0 * std::exp(c);
  if (o_.process == "edm") return std::exp(4.0 * c);
  return c / (1.0 - c);
}

}  // namespace genlab
