// Classifier-free guidance (Ho & Salimans 2022) as a denoiser, over a class-conditional
// denoiser trained with label dropout:
//   D_w(x; sigma, c) = D(x; sigma, null) + w (D(x; sigma, c) - D(x; sigma, null)).
// Convention: w = 0 is the unconditional model, w = 1 the conditional one, w > 1 guides
// (diffusers' `guidance_scale` is this w; Ho & Salimans' own w is ours minus 1).
// With an interval [lo, hi] guidance applies only where lo <= sigma <= hi, the
// conditional denoiser elsewhere (Kynkäänniemi et al. 2024, "Applying guidance in a
// limited interval"). Both evaluations run as one batch of twice the rows, and count
// as two network evaluations.
//
//   GuidedDenoiser g(model, labels, {.scale = 2.0, .sigma_lo = 0.28, .sigma_hi = 5.42});
//   auto r = make_sampler("heun")->sample(g, process, t, noise);   // r.nfe counts both
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "genlab/core/options.h"
#include "genlab/samplers/denoiser.h"

namespace genlab {

struct GuidanceOptions {
  double scale = 1.0;  // w
  double sigma_lo = 0.0;
  double sigma_hi = std::numeric_limits<double>::infinity();
  bool limited() const { return sigma_lo > 0 || std::isfinite(sigma_hi); }
};
// A sampler variant's keys `guidance` (w) and `guidance_interval` ([lo, hi], empty: every
// sigma), read straight into the struct GuidedDenoiser takes.
template <class V>
void fields(V& v, GuidanceOptions& g) {
  v.field("guidance", g.scale,
          "class-conditional models: classifier-free guidance w, D_u + w (D_c - D_u) (0: "
          "unconditional, 1: conditional; diffusers' guidance_scale)",
          between(-100, 100));
  std::vector<double> interval;
  if (g.limited()) interval = {g.sigma_lo, g.sigma_hi};
  v.field("guidance_interval", interval,
          "guidance only for sigma in [lo, hi] (Kynkaanniemi et al. 2024), the conditional "
          "denoiser elsewhere",
          Rule().or_auto("every sigma"));
  v.check(interval.empty() || (interval.size() == 2 && interval[0] >= 0 && interval[0] <= interval[1]),
          "guidance_interval", "must be [lo, hi] with 0 <= lo <= hi");
  g.sigma_lo = interval.size() == 2 ? interval[0] : 0.0;
  g.sigma_hi = interval.size() == 2 ? interval[1] : std::numeric_limits<double>::infinity();
}

class GuidedDenoiser : public Denoiser {
 public:
  // labels: int32 [samples], real classes (not the null label).
  GuidedDenoiser(const Denoiser& base, Tensor labels, const GuidanceOptions& options);
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  int64_t dims() const override { return base_.dims(); }
  int evaluations_at(double sigma) const override;

 private:
  bool guided_at(double sigma) const;
  const Denoiser& base_;
  Tensor labels_, null_labels_;
  GuidanceOptions o_;
};

}  // namespace genlab
