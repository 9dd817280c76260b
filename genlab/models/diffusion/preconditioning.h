// The four preconditionings of EDM's Table 1 (VP, VE, EDM) and flow matching, which turn
// a network F into a denoiser D(x; sigma) = c_skip x + c_out F(c_in x; c_noise), and
// their training distributions of sigma and loss weights lambda(sigma) (docs/MATH.md
// section 4). The output parameterization (what F predicts) can be chosen apart from the
// process: "native" is the process's own row; eps, x0, v, raw (EDM's F) and flow (the
// velocity eps - x0) are all expressed through the same D, so a model trained with any
// of them is sampled by any sampler.
//
// The process's part (c_in, c_noise, lambda, the training sigma, c_noise's inverse) is one
// small struct per process built from the Process itself, whose parameters (VP's beta_d,
// beta_min; VE's sigma range) it reads: the model and the sampler share one Process.
//
//   Preconditioning pre({.process = "flow"});
//   auto c = pre.coefficients(sigma);         // c.c_skip [B, 1] ... c.c_noise [B]
//   Tensor sigma = pre.sample_sigma(4096, rng);
//   sampler->sample(model, pre.process(), t, noise);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/rng.h"
#include "genlab/core/tensor.h"
#include "genlab/samplers/process.h"

namespace genlab {

// What F predicts: native (the process's own row), raw (EDM's F), eps, x0, v, or the flow
// velocity eps - x0.
enum class OutputParameterization { native, raw, eps, x0, v, flow };
inline const std::vector<std::string>& names_of(OutputParameterization) {
  static const std::vector<std::string> names{"native", "raw", "eps", "x0", "v", "flow"};
  return names;
}
// The same with native resolved: VE's own row predicts -eps (NCSN's c_out = +sigma).
enum class ResolvedOutput { raw, eps, neg_eps, x0, v, flow };
// Flow's training t: U(0, 1), or sigmoid of N(logit_mean, logit_std^2).
enum class FlowTime { uniform, logit_normal };
inline const std::vector<std::string>& names_of(FlowTime) {
  static const std::vector<std::string> names{"uniform", "logit_normal"};
  return names;
}

struct PreconditioningOptions {
  // vp | ve | edm | flow, at its default parameters (make_process): c_in, c_noise,
  // training sigma, lambda. Preconditioning(options, process) takes any other Process.
  std::string process = "edm";
  OutputParameterization parameterization = OutputParameterization::native;
  double sigma_data = 0.5;
  // EDM's training distribution: ln sigma ~ N(p_mean, p_std^2).
  double p_mean = -1.2, p_std = 1.2;
  // VP: t ~ U(epsilon_t, 1); c_noise = (M - 1) t, with the process's beta_d and beta_min.
  // VE: ln sigma ~ U(ln sigma_min, ln sigma_max), the process's sigma range.
  double vp_epsilon_t = 1e-5, vp_m = 1000;
  // Flow: t ~ U(0, 1) ("uniform") or sigmoid(N(logit_mean, logit_std^2)) ("logit_normal"),
  // clipped to [flow_t_eps, 1 - flow_t_eps] so that sigma = t / (1 - t) stays finite.
  FlowTime flow_t = FlowTime::uniform;
  double logit_mean = 0.0, logit_std = 1.0, flow_t_eps = 1e-5;
};

// Per-example coefficients for sigma [B]: c_skip, c_out, c_in as [B, 1] columns (they
// broadcast over dims), c_noise [B], lambda [B], and c_skip - 1 (computed without
// cancellation, for the loss).
struct PreconditioningCoefficients {
  Tensor c_skip, c_out, c_in, c_noise, weight, c_skip_minus_one;
};

// The process's terms of the preconditioning (preconditioning.cpp: one per process).
struct ProcessTerms;

class Preconditioning {
 public:
  explicit Preconditioning(const PreconditioningOptions& options);
  // Under `process` (its kind replaces options.process).
  Preconditioning(const PreconditioningOptions& options, std::shared_ptr<const Process> process);
  const PreconditioningOptions& options() const { return o_; }
  // The process the model is trained under and sampled with.
  const Process& process() const { return *process_; }
  const std::shared_ptr<const Process>& shared_process() const { return process_; }

  PreconditioningCoefficients coefficients(const Tensor& sigma) const;
  // The process's training distribution of sigma: [n].
  Tensor sample_sigma(int64_t n, Generator& rng) const;
  // The inverse of c_noise(sigma) (for tests and tools that see only the network's input).
  double sigma_of_c_noise(double c_noise) const;

 private:
  PreconditioningOptions o_;
  std::shared_ptr<const Process> process_;
  std::shared_ptr<const ProcessTerms> terms_;
  ResolvedOutput output_ = ResolvedOutput::raw;
};

const std::vector<std::string>& preconditioning_processes();
const std::vector<std::string>& output_parameterizations();
const std::vector<std::string>& flow_t_distributions();  // uniform, logit_normal

}  // namespace genlab
