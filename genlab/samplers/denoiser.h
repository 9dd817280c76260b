// What every sampler sees of a model: D(x; sigma) ~ E[x0 | x0 + sigma eps = x].
// Trained networks (behind their preconditioning) and exact references implement it.
//
// Conditioning. A class-conditional denoiser (num_classes() > 0) also answers
// D(x; sigma, c) for int32 labels c [batch] in 0..num_classes()-1, or null_label()
// (= num_classes()) for the unconditional D(x; sigma), which plain denoise() gives.
// Samplers never see labels: LabeledDenoiser (and GuidedDenoiser, guidance.h) bind one
// label per sample row, and the sampler passes the rows through as they are.
#pragma once

#include <string>

#include "genlab/core/tensor.h"

namespace genlab {

class Denoiser {
 public:
  virtual ~Denoiser() = default;
  // x [batch, dims], sigma [batch] -> [batch, dims]
  virtual Tensor denoise(const Tensor& x, const Tensor& sigma) const = 0;
  virtual int64_t dims() const = 0;

  // Classes of a conditional denoiser; 0: unconditional.
  virtual int64_t num_classes() const { return 0; }
  int64_t null_label() const { return num_classes(); }
  // labels: int32 [batch]. The default refuses: the denoiser is unconditional.
  virtual Tensor denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const;
  // Network evaluations one denoise() call at this sigma costs (guidance: two), which
  // is what samplers count as NFE.
  virtual int evaluations_at(double /*sigma*/) const { return 1; }
};

// Checks labels against a conditional denoiser: int32 [rows], each in
// 0..num_classes (the last one the null label). `what` names the caller in the error.
void check_labels(const Denoiser& d, const Tensor& labels, int64_t rows, const std::string& what);

// A conditional denoiser with one label per sample row bound: what samplers sample
// class-conditionally. denoise(x, sigma) needs x's rows to match the labels.
class LabeledDenoiser : public Denoiser {
 public:
  LabeledDenoiser(const Denoiser& base, Tensor labels);
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  int64_t dims() const override { return base_.dims(); }
  int evaluations_at(double sigma) const override { return base_.evaluations_at(sigma); }

 private:
  const Denoiser& base_;
  Tensor labels_;
};

}  // namespace genlab
