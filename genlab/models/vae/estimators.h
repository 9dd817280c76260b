// Gradient estimators of L(theta) = E_{z ~ q_theta}[f(z)] (docs/MATH.md section 1), as
// surrogate objectives whose gradient is the estimate, so one backward pass serves
// training and the estimator study alike:
//   reparameterization  f(z(theta, eps)), z = mu + sigma eps
//   gumbel_soft / _st   f(y(theta, g)), y the relaxed (or straight-through) categorical
//   reinforce           f(z) + stop(f(z) - b) log q_theta(z), b = 0
//   reinforce_baseline  the same with b a moving average of f (a control variate)
#pragma once

#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

enum class Estimator { reparameterization, gumbel_soft, gumbel_st, reinforce, reinforce_baseline };

Estimator parse_estimator(const std::string& name);  // the error lists the names
std::string estimator_name(Estimator e);
const std::vector<std::string>& estimator_names();
bool is_reinforce(Estimator e);
// Whether the estimator applies to Gaussian (continuous) or categorical latents.
bool estimator_fits_latent(Estimator e, bool categorical);

// REINFORCE's surrogate for a batch of draws: mean(f + stop(f - baseline) * log_q). Its
// value is mean(f); its gradient is the score-function estimate plus f's own gradient
// (a decoder's parameters, which f depends on directly).
Tensor reinforce_surrogate(const Tensor& f, const Tensor& log_q, double baseline);

// b <- decay b + (1 - decay) mean(f), starting at the first mean. It is read before the
// draw it is used with and updated after, so the estimate stays unbiased.
class MovingAverageBaseline {
 public:
  explicit MovingAverageBaseline(double decay = 0.99) : decay_(decay) {}
  double value() const { return value_; }
  bool started() const { return started_; }
  void update(double mean_f);
  void load(double value, bool started) { value_ = value, started_ = started; }

 private:
  double decay_, value_ = 0;
  bool started_ = false;
};

// log N(z; mean, exp(log_var)) summed over the last axis: [B] for [B, Z] inputs.
Tensor gaussian_log_density(const Tensor& z, const Tensor& mean, const Tensor& log_var);
// KL(N(mean, exp(log_var)) || N(0, I)) summed over the last axis, closed form: [B].
Tensor gaussian_kl_to_standard(const Tensor& mean, const Tensor& log_var);

}  // namespace genlab
