#include "genlab/models/analytic/class_conditional_mixture.h"

#include "genlab/core/ops.h"

namespace genlab {

ClassConditionalMixture::ClassConditionalMixture(const Tensor& weights, const Tensor& means,
                                                 const Tensor& variances)
    : mixture_(weights, means, variances) {
  for (int64_t k = 0; k < means.size(0); ++k)
    classes_.emplace_back(Tensor::ones({1}), slice(means, 0, k, k + 1), slice(variances, 0, k, k + 1));
}

Tensor ClassConditionalMixture::denoise(const Tensor& x, const Tensor& sigma) const {
  return mixture_.denoise(x, sigma);
}

Tensor ClassConditionalMixture::denoise(const Tensor& x, const Tensor& sigma,
                                        const Tensor& labels) const {
  check_labels(*this, labels, x.size(0), "class-conditional mixture");
  // Every class's denoiser on every row, then each row's own (K is small).
  const auto l = labels.to_index_vector();
  const int64_t n = x.size(0), d = x.size(1);
  std::vector<float> out(static_cast<size_t>(n * d));
  std::vector<std::vector<float>> per_class(classes_.size() + 1);
  for (size_t i = 0; i < l.size(); ++i) {
    auto& v = per_class[l[i]];
    if (v.empty())
      v = (l[i] == null_label() ? mixture_ : classes_[l[i]]).denoise(x, sigma).to_vector();
    std::copy(v.begin() + i * d, v.begin() + (i + 1) * d, out.begin() + i * d);
  }
  return Tensor::from_vector(out, {n, d});
}

}  // namespace genlab
