// Progress of sampling through a denoiser, without the samplers knowing: a Denoiser that
// passes every call on, counts the network evaluations, reports them to a Progress line
// and stops the sampling with RunInterrupted once Ctrl-C was pressed (a long variant then
// stops within one evaluation, not at its end). Like GuidedDenoiser, a behaviour as a
// wrapper around the interface.
//
//   Progress line(out, "sampling heun-18", expected_nfe(...), "NFE");
//   ProgressDenoiser watched(model, line, process.sigma_max(), process.sigma_min());
//   sampler->sample(watched, ...);
#pragma once

#include <vector>

#include "genlab/experiments/run/progress.h"
#include "genlab/samplers/denoiser.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sampler.h"

namespace genlab {

class ProgressDenoiser : public Denoiser {
 public:
  // sigma_from -> sigma_to: the way the evaluations travel (sampling: sigma_max to
  // sigma_min; the likelihood: up), which gives the fraction done when the NFE total is
  // unknown (adaptive solvers).
  ProgressDenoiser(const Denoiser& inner, Progress& progress, double sigma_from, double sigma_to);
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  Tensor denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const override;
  int64_t dims() const override { return inner_.dims(); }
  int64_t num_classes() const override { return inner_.num_classes(); }
  int evaluations_at(double sigma) const override { return inner_.evaluations_at(sigma); }
  int64_t nfe() const { return nfe_; }

 private:
  void count(const Tensor& sigma) const;
  const Denoiser& inner_;
  Progress& progress_;
  double log_from_, log_span_;
  mutable int64_t nfe_ = 0;
};


}  // namespace genlab
