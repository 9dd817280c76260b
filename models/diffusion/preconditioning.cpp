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
  const auto s = sigma.to_vector();
  const int64_t n = static_cast<int64_t>(s.size());
  std::vector<float> skip(n), out(n), in(n), noise(n), weight(n), skip1(n);
  for (int64_t i = 0; i < n; ++i) {
    if (!(s[i] > 0)) throw std::invalid_argument("preconditioning: sigma must be > 0");
    const Scalars c = at(s[i]);
    skip[i] = static_cast<float>(c.c_skip), out[i] = static_cast<float>(c.c_out);
    in[i] = static_cast<float>(c.c_in), noise[i] = static_cast<float>(c.c_noise);
    weight[i] = static_cast<float>(c.weight), skip1[i] = static_cast<float>(c.c_skip_minus_one);
  }
  const Device dev = sigma.device();
  return {Tensor::from_vector(skip, {n, 1}, dev), Tensor::from_vector(out, {n, 1}, dev),
          Tensor::from_vector(in, {n, 1}, dev),   Tensor::from_vector(noise, {n}, dev),
          Tensor::from_vector(weight, {n}, dev),  Tensor::from_vector(skip1, {n, 1}, dev)};
}

Tensor Preconditioning::sample_sigma(int64_t n, Generator& rng) const {
  if (o_.process == "edm")
    return exp(rng.normal({n}, static_cast<float>(o_.p_mean), static_cast<float>(o_.p_std)));
  if (o_.process == "ve") {
    const Tensor u = rng.uniform({n}, static_cast<float>(std::log(o_.ve_sigma_min)),
                                 static_cast<float>(std::log(o_.ve_sigma_max)));
    return exp(u);
  }
  std::vector<float> t = (o_.process == "flow" && o_.flow_t == "logit_normal")
                             ? sigmoid(rng.normal({n}, static_cast<float>(o_.logit_mean),
                                                  static_cast<float>(o_.logit_std)))
                                   .to_vector()
                             : rng.uniform({n}).to_vector();
  std::vector<float> sigma(n);
  for (int64_t i = 0; i < n; ++i) {
    if (o_.process == "vp") {
      const double tt = o_.vp_epsilon_t + (1.0 - o_.vp_epsilon_t) * t[i];
      sigma[i] = static_cast<float>(vp_sigma(tt));
    } else {
      const double tt = std::clamp<double>(t[i], o_.flow_t_eps, 1.0 - o_.flow_t_eps);
      sigma[i] = static_cast<float>(tt / (1.0 - tt));
    }
  }
  return Tensor::from_vector(sigma, {n});
}

double Preconditioning::sigma_of_c_noise(double c) const {
  if (o_.process == "vp") return vp_sigma(c / (o_.vp_m - 1.0));
  if (o_.process == "ve") return 2.0 * std::exp(c);
  if (o_.process == "edm") return std::exp(4.0 * c);
  return c / (1.0 - c);
}

}  // namespace genlab
