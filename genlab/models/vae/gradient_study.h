// The estimator study: at fixed parameters, how noisy and how biased is each gradient
// estimator of one objective, J = mean_b E_{q(z|x_b)}[log p(x_b | z)] (the ELBO's
// reconstruction term; its KL is closed-form and the same for all), with respect to the
// encoder's parameters, where the estimators differ.
//
// Each estimator is drawn `repeats` times (each estimate averaging `samples` draws per
// example). The reference is a high-sample unbiased estimate: reparameterization for
// Gaussian latents, REINFORCE with a leave-one-out baseline for categorical ones, with
// its own standard error. Gumbel-Softmax estimates the gradient of the relaxed objective,
// so its bias against the discrete J is real, not noise; `bias_noise` says how large a
// bias noise alone would give.
//
//   auto study = study_gradient_estimators(vae, x, {.estimators = {...}}, rng);
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "genlab/models/vae/vae.h"

namespace genlab {

struct GradientStudyOptions {
  std::vector<Estimator> estimators;
  int64_t repeats = 200;
  int64_t samples = 1;
  int64_t reference_samples = 10000;  // per example
  double tau = 1.0;                   // Gumbel-Softmax
  double baseline_decay = 0.9;        // reinforce_baseline's moving average
  int64_t baseline_warmup = 20;       // draws that set the average before measuring
  int64_t max_rows = 16384;           // decoder rows per chunk of the reference
  // Called with (done, total) units of work (reference chunks, then estimates), for a
  // progress display; empty: none.
  std::function<void(int64_t done, int64_t total)> progress{};
};

struct GradientStudyRow {
  std::string estimator;
  double variance = 0;       // E ||g - E g||^2 of one estimate (trace of its covariance)
  double relative_std = 0;   // sqrt(variance) / ||reference||
  double bias = 0;           // ||mean of the estimates - reference||
  double bias_noise = 0;     // sqrt(variance / repeats + reference_stderr^2): bias if unbiased
  double relative_bias = 0;  // bias / ||reference||
  double cosine = 0;         // between the mean estimate and the reference
  double seconds = 0;        // per estimate
};

struct GradientStudy {
  std::vector<GradientStudyRow> rows;
  std::string reference;  // how the reference was estimated
  double reference_norm = 0, reference_stderr = 0;
  int64_t parameters = 0;  // length of the gradient vector
};

GradientStudy study_gradient_estimators(const VAE& vae, const Tensor& x,
                                        const GradientStudyOptions& o, Generator& rng);

}  // namespace genlab
