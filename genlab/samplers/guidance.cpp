#include "genlab/samplers/guidance.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

GuidedDenoiser::GuidedDenoiser(const Denoiser& base, Tensor labels, const GuidanceOptions& o)
    : base_(base), labels_(std::move(labels)), o_(o) {
  check_labels(base_, labels_, labels_.defined() ? labels_.numel() : 0, "guidance");
  for (const int32_t c : labels_.to_index_vector())
    if (c == base_.null_label())
      throw std::invalid_argument("guidance: the labels must be classes, not the null label");
  if (!std::isfinite(o_.scale)) throw std::invalid_argument("guidance: the scale must be finite");
  if (!(o_.sigma_lo >= 0 && o_.sigma_lo <= o_.sigma_hi))
    throw std::invalid_argument("guidance: the interval needs 0 <= lo <= hi");
  null_labels_ = Tensor::from_indices(
      std::vector<int32_t>(labels_.numel(), static_cast<int32_t>(base_.null_label())),
      {labels_.numel()});
}

bool GuidedDenoiser::guided_at(double sigma) const {
  return o_.scale != 1.0 && sigma >= o_.sigma_lo && sigma <= o_.sigma_hi;
}

int GuidedDenoiser::evaluations_at(double sigma) const {
  return guided_at(sigma) && o_.scale != 0.0 ? 2 : 1;
}

Tensor GuidedDenoiser::denoise(const Tensor& x, const Tensor& sigma) const {
  const int64_t n = x.size(0);
  if (n != labels_.size(0))
    throw std::invalid_argument("guidance: " + std::to_string(n) + " rows for " +
                                std::to_string(labels_.size(0)) + " labels");
  // Samplers give one sigma to the whole batch; a batch of mixed sigmas is guided row by
  // row (w where the row's sigma is inside the interval, 1 elsewhere).
  const auto s = sigma.to_vector();
  std::vector<float> w(static_cast<size_t>(n));
  bool any = false, all_same = true;
  for (int64_t i = 0; i < n; ++i) {
    w[i] = guided_at(s[i]) ? static_cast<float>(o_.scale) : 1.0f;
    any = any || w[i] != 1.0f;
    all_same = all_same && w[i] == w[0];
  }
  if (!any) return base_.denoise(x, sigma, labels_);
  if (all_same && w[0] == 0.0f) return base_.denoise(x, sigma, null_labels_);
  // One network call of 2n rows: conditional, then unconditional.
  std::vector<int32_t> both = labels_.to_index_vector();
  both.resize(2 * n, static_cast<int32_t>(base_.null_label()));
  const Tensor d = base_.denoise(concat({x, x}, 0), concat({sigma, sigma}, 0),
                                 Tensor::from_indices(both, {2 * n}));
  const Tensor cond = slice(d, 0, 0, n), uncond = slice(d, 0, n, 2 * n);
  // Written as cond + (w - 1)(cond - uncond), so that unguided rows (w = 1) are the
  // conditional denoiser to the bit.
  for (float& wi : w) wi -= 1.0f;
  return cond + (cond - uncond) * reshape(Tensor::from_vector(w, {n}), {n, 1});
}

}  // namespace genlab
