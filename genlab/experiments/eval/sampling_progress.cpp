#include "genlab/experiments/eval/sampling_progress.h"

#include <algorithm>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/experiments/run/run_status.h"

namespace genlab {

ProgressDenoiser::ProgressDenoiser(const Denoiser& inner, Progress& progress, double sigma_from,
                                   double sigma_to)
    : inner_(inner), progress_(progress), log_from_(std::log(std::max(sigma_from, 1e-12))),
      log_span_(std::log(std::max(sigma_to, 1e-12)) - std::log(std::max(sigma_from, 1e-12))) {}

void ProgressDenoiser::count(const Tensor& sigma) const {
  if (StopSignalGuard::stop_requested()) throw RunInterrupted("stopped by a signal while sampling");
  // The first row's sigma (every row of a call has one sigma in genlab's samplers).
  const double s = sigma.numel() > 0 ? static_cast<double>(slice(sigma, 0, 0, 1).item()) : 0.0;
  nfe_ += inner_.evaluations_at(s);
  const double fraction =
      s > 0 && log_span_ != 0 ? std::clamp((std::log(s) - log_from_) / log_span_, 0.0, 1.0) : -1.0;
  progress_.update(static_cast<double>(nfe_), fraction);
}

Tensor ProgressDenoiser::denoise(const Tensor& x, const Tensor& sigma) const {
  count(sigma);
  return inner_.denoise(x, sigma);
}

Tensor ProgressDenoiser::denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const {
  count(sigma);
  return inner_.denoise(x, sigma, labels);
}

}  // namespace genlab
