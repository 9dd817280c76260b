// The VAE family for the runner: Adam on the (beta-weighted, optionally warmed-up)
// negative ELBO under the configured gradient estimator, Gumbel-Softmax temperature
// annealing, REINFORCE's moving-average baseline; the validation negative ELBO (the first
// 2000 held-out examples) at each evaluation; at the end the test negative ELBO and IWAE NLL (/test), sampled images and
// reconstructions (/samples), and, when enabled, the estimator study (/estimators/table).
#pragma once

#include <memory>

#include "experiments/families/family.h"

namespace genlab {

std::unique_ptr<Family> make_vae_family(const ExperimentConfig& config, const Dataset& data,
                                        Generator& init);

}  // namespace genlab
