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
  return names_of(FlowTime{});
}

const std::vector<std::string>& output_parameterizations() {
  return names_of(OutputParameterization{});
}

// The process's row of docs/MATH.md's table: c_in, c_noise and lambda, the training
// distribution of sigma, c_noise's inverse, and what "native" means for it.
struct ProcessTerms {
  virtual ~ProcessTerms() = default;
  // c_in, c_noise, weight for sigma [B] (s2 = sigma^2).
  virtual void terms(const Tensor& sigma, const Tensor& s2, Tensor& c_in, Tensor& c_noise, Tensor& weight) const = 0;
  virtual Tensor sample_sigma(int64_t n, Generator& rng) const = 0;
  virtual double sigma_of_c_noise(double c) const = 0;
  // The process's own output: VP predicts eps (c_out = -sigma), VE c_out = +sigma
  // (NCSN's -eps), EDM the raw F, flow the velocity.
  virtual ResolvedOutput native() const = 0;
};

namespace {

// VP: t ~ U(epsilon_t, 1), sigma(t) = sqrt(expm1(beta_d t^2 / 2 + beta_min t)).
struct VpTerms final : ProcessTerms {
  VpTerms(const VPOptions& p, const PreconditioningOptions& o) : p(p), eps_t(o.vp_epsilon_t), m(o.vp_m) {}
  void terms(const Tensor&, const Tensor& s2, Tensor& c_in, Tensor& c_noise, Tensor& weight) const override {
    const float b = static_cast<float>(p.beta_min), d = static_cast<float>(p.beta_d);
    c_in = reciprocal(sqrt(s2 + 1.0f));
    const Tensor t = (sqrt(log1p(s2) * (2.0f * d) + b * b) - b) * (1.0f / d);
    c_noise = t * static_cast<float>(m - 1.0);
    weight = reciprocal(s2);
  }
  Tensor sample_sigma(int64_t n, Generator& rng) const override {
    const Tensor t = rng.uniform({n});
    const float eps = static_cast<float>(eps_t);
    const Tensor tt = t * (1.0f - eps) + eps;
    return sqrt(expm1(square(tt) * static_cast<float>(0.5 * p.beta_d) + tt * static_cast<float>(p.beta_min)));
  }
  double sigma_of_c_noise(double c) const override {
    const double t = c / (m - 1.0);
    return std::sqrt(std::expm1(0.5 * p.beta_d * t * t + p.beta_min * t));
  }
  ResolvedOutput native() const override { return ResolvedOutput::eps; }
  VPOptions p;
  double eps_t, m;
};

// VE: ln sigma ~ U(ln sigma_min, ln sigma_max) over the process's range.
struct VeTerms final : ProcessTerms {
  explicit VeTerms(const VEOptions& p) : p(p) {}
  void terms(const Tensor& sigma, const Tensor& s2, Tensor& c_in, Tensor& c_noise, Tensor& weight) const override {
    c_in = Tensor::ones_like(sigma);
    c_noise = log(sigma * 0.5f);
    weight = reciprocal(s2);
  }
  Tensor sample_sigma(int64_t n, Generator& rng) const override {
    return exp(rng.uniform({n}, static_cast<float>(std::log(p.sigma_min)), static_cast<float>(std::log(p.sigma_max))));
  }
  double sigma_of_c_noise(double c) const override { return 2.0 * std::exp(c); }
  ResolvedOutput native() const override { return ResolvedOutput::neg_eps; }
  VEOptions p;
};

// EDM: ln sigma ~ N(p_mean, p_std^2).
struct EdmTerms final : ProcessTerms {
  explicit EdmTerms(const PreconditioningOptions& o) : sd(static_cast<float>(o.sigma_data)), p_mean(o.p_mean), p_std(o.p_std) {}
  void terms(const Tensor& sigma, const Tensor& s2, Tensor& c_in, Tensor& c_noise, Tensor& weight) const override {
    const float sd2 = sd * sd;
    c_in = reciprocal(sqrt(s2 + sd2));
    c_noise = log(sigma) * 0.25f;
    weight = (s2 + sd2) / (s2 * sd2);
  }
  Tensor sample_sigma(int64_t n, Generator& rng) const override {
    return exp(rng.normal({n}, static_cast<float>(p_mean), static_cast<float>(p_std)));
  }
  double sigma_of_c_noise(double c) const override { return std::exp(4.0 * c); }
  ResolvedOutput native() const override { return ResolvedOutput::raw; }
  float sd;
  double p_mean, p_std;
};

// Flow: t ~ U(0, 1) or logit-normal, clipped to [flow_t_eps, 1 - flow_t_eps].
struct FlowTerms final : ProcessTerms {
  explicit FlowTerms(const PreconditioningOptions& o) : o(o) {}
  void terms(const Tensor& sigma, const Tensor& s2, Tensor& c_in, Tensor& c_noise, Tensor& weight) const override {
    c_in = reciprocal(sigma + 1.0f);
    c_noise = sigma / (sigma + 1.0f);
    weight = square(sigma + 1.0f) / s2;
  }
  Tensor sample_sigma(int64_t n, Generator& rng) const override {
    const Tensor t = o.flow_t == FlowTime::logit_normal
                         ? sigmoid(rng.normal({n}, static_cast<float>(o.logit_mean), static_cast<float>(o.logit_std)))
                         : rng.uniform({n});
    const float lo = static_cast<float>(o.flow_t_eps);
    const Tensor tt = clamp(t, lo, 1.0f - lo);
    return tt / (1.0f - tt);
  }
  double sigma_of_c_noise(double c) const override { return c / (1.0 - c); }
  ResolvedOutput native() const override { return ResolvedOutput::flow; }
  PreconditioningOptions o;
};

std::shared_ptr<const ProcessTerms> make_terms(const Process& process, const PreconditioningOptions& o) {
  struct Make {
    const PreconditioningOptions& o;
    std::shared_ptr<const ProcessTerms> operator()(const VPOptions& p) const { return std::make_shared<VpTerms>(p, o); }
    std::shared_ptr<const ProcessTerms> operator()(const VEOptions& p) const { return std::make_shared<VeTerms>(p); }
    std::shared_ptr<const ProcessTerms> operator()(const EDMOptions&) const { return std::make_shared<EdmTerms>(o); }
    std::shared_ptr<const ProcessTerms> operator()(const FlowOptions&) const { return std::make_shared<FlowTerms>(o); }
  };
  return std::visit(Make{o}, process.options());
}

std::shared_ptr<const Process> process_named(const std::string& name) {
  require_member("diffusion process", name, preconditioning_processes());
  return make_process(name);
}

}  // namespace

Preconditioning::Preconditioning(const PreconditioningOptions& options)
    : Preconditioning(options, process_named(options.process)) {}

Preconditioning::Preconditioning(const PreconditioningOptions& options, std::shared_ptr<const Process> process)
    : o_(options), process_(std::move(process)) {
  if (!process_) throw std::invalid_argument("preconditioning: no process");
  o_.process = process_->name();
  if (!(o_.sigma_data > 0)) throw std::invalid_argument("sigma_data must be > 0");
  terms_ = make_terms(*process_, o_);
  switch (o_.parameterization) {
    case OutputParameterization::native: output_ = terms_->native(); break;
    case OutputParameterization::raw: output_ = ResolvedOutput::raw; break;
    case OutputParameterization::eps: output_ = ResolvedOutput::eps; break;
    case OutputParameterization::x0: output_ = ResolvedOutput::x0; break;
    case OutputParameterization::v: output_ = ResolvedOutput::v; break;
    case OutputParameterization::flow: output_ = ResolvedOutput::flow; break;
  }
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
  terms_->terms(sigma, s2, c_in, c_noise, weight);
  Tensor c_skip, c_out, c_skip_minus_one;
  if (output_ == ResolvedOutput::raw) {
    c_skip = sd2 / (s2 + sd2);
    c_out = sigma * sd / sqrt(s2 + sd2);
    c_skip_minus_one = -(s2 / (s2 + sd2));
  } else if (output_ == ResolvedOutput::eps || output_ == ResolvedOutput::neg_eps) {
    c_skip = one;
    c_out = output_ == ResolvedOutput::eps ? -sigma : sigma;
    c_skip_minus_one = Tensor::zeros_like(sigma);
  } else if (output_ == ResolvedOutput::x0) {
    c_skip = Tensor::zeros_like(sigma);
    c_out = one;
    c_skip_minus_one = -one;
  } else if (output_ == ResolvedOutput::v) {
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
  return terms_->sample_sigma(n, rng);
}

double Preconditioning::sigma_of_c_noise(double c) const {
  return terms_->sigma_of_c_noise(c);
}

}  // namespace genlab
