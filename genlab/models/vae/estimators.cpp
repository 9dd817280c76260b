#include "genlab/models/vae/estimators.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/ops.h"
#include "genlab/core/shape.h"

namespace genlab {

const std::vector<std::string>& estimator_names() {
  static const std::vector<std::string> names{"reparameterization", "gumbel_soft", "gumbel_st",
                                              "reinforce", "reinforce_baseline"};
  return names;
}

Estimator parse_estimator(const std::string& name) {
  const auto& names = estimator_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Estimator>(i);
  std::string allowed;
  for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown gradient estimator '" + name + "' (allowed: " + allowed +
                              ")");
}

std::string estimator_name(Estimator e) {
  return estimator_names().at(static_cast<size_t>(e));
}

bool is_reinforce(Estimator e) {
  return e == Estimator::reinforce || e == Estimator::reinforce_baseline;
}

bool estimator_fits_latent(Estimator e, bool categorical) {
  if (is_reinforce(e)) return true;
  return categorical ? e != Estimator::reparameterization : e == Estimator::reparameterization;
}

Tensor reinforce_surrogate(const Tensor& f, const Tensor& log_q, double baseline) {
  // Equal shapes: [B] against [B, 1] would broadcast to [B, B] and mean garbage.
  if (f.shape() != log_q.shape())
    throw std::invalid_argument("reinforce_surrogate: f " + shape_str(f.shape()) + " and log_q " +
                                shape_str(log_q.shape()) + " must have one shape");
  const Tensor advantage = add_scalar(f.detach(), static_cast<float>(-baseline));
  return mean(f + advantage * log_q);
}

void MovingAverageBaseline::update(double mean_f) {
  value_ = started_ ? decay_ * value_ + (1 - decay_) * mean_f : mean_f;
  started_ = true;
}

Tensor gaussian_log_density(const Tensor& z, const Tensor& mean, const Tensor& log_var) {
  const int axis = z.dim() - 1;
  const float log_2pi = static_cast<float>(std::log(2 * M_PI));
  const Tensor per_dim = square(z - mean) * exp(-log_var) + log_var + log_2pi;
  return mul_scalar(sum(per_dim, {axis}), -0.5f);
}

Tensor gaussian_kl_to_standard(const Tensor& mean, const Tensor& log_var) {
  const int axis = mean.dim() - 1;
  return mul_scalar(sum(square(mean) + exp(log_var) - log_var - 1.0f, {axis}), 0.5f);
}

}  // namespace genlab
