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

double Preconditioning::vp_sigma(double t) const {
  return std::sqrt(std::expm1(0.5 * o_.vp_beta_d * t * t + o_.vp_beta_min * t));
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
  // docs/MATH.md's table as tensor expressions in float on sigma's device: no host round
  // trip per step.
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
