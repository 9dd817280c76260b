// An exact class-conditional reference: a Gaussian mixture whose class c is its component
// c. D(x; sigma, c) is component c's ideal denoiser and D(x; sigma) (the null label) the
// mixture's, both closed-form, so classifier-free guidance (genlab/samplers/guidance.h) can be
// checked against the truth with no training noise.
//
//   ClassConditionalMixture m(weights, means, variances);   // diagonal, [K], [K, D], [K, D]
//   Tensor d = m.denoise(x, sigma, labels);                 // labels int32 [B] in 0..K
#pragma once

#include <vector>

#include "genlab/models/analytic/gaussian_mixture.h"

namespace genlab {

class ClassConditionalMixture : public Denoiser {
 public:
  ClassConditionalMixture(const Tensor& weights, const Tensor& means, const Tensor& variances);
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;  // the mixture's
  Tensor denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const override;
  int64_t dims() const override { return mixture_.dims(); }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  const GaussianMixture& mixture() const { return mixture_; }
  const GaussianMixture& component(int64_t c) const { return classes_.at(c); }

 private:
  GaussianMixture mixture_;
  std::vector<GaussianMixture> classes_;
};

}  // namespace genlab
