#include "genlab/samplers/denoiser.h"

#include <stdexcept>

namespace genlab {

Tensor Denoiser::denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const {
  if (!labels.defined()) return denoise(x, sigma);
  throw std::invalid_argument("denoise: labels given to an unconditional denoiser");
}

void check_labels(const Denoiser& d, const Tensor& labels, int64_t rows, const std::string& what) {
  if (d.num_classes() <= 0)
    throw std::invalid_argument(what + ": labels given to an unconditional denoiser");
  if (!labels.defined() || !labels.is_index() || labels.dim() != 1 || labels.size(0) != rows)
    throw std::invalid_argument(what + ": labels must be int32 [" + std::to_string(rows) + "]");
  const auto v = labels.to_index_vector();
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || v[i] > d.null_label())
      throw std::invalid_argument(what + ": label " + std::to_string(v[i]) + " of row " +
                                  std::to_string(i) + " is outside 0.." +
                                  std::to_string(d.num_classes() - 1) + " (and the null label " +
                                  std::to_string(d.null_label()) + ")");
}

LabeledDenoiser::LabeledDenoiser(const Denoiser& base, Tensor labels)
    : base_(base), labels_(std::move(labels)) {
  check_labels(base_, labels_, labels_.defined() ? labels_.numel() : 0, "LabeledDenoiser");
}

Tensor LabeledDenoiser::denoise(const Tensor& x, const Tensor& sigma) const {
  if (x.size(0) != labels_.size(0))
    throw std::invalid_argument("LabeledDenoiser: " + std::to_string(x.size(0)) +
                                " rows for " + std::to_string(labels_.size(0)) + " labels");
  return base_.denoise(x, sigma, labels_);
}

}  // namespace genlab
