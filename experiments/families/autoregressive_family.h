// The autoregressive family (FVSBN, NADE, MADE) for the runner: Adam on the exact NLL,
// MADE's mask sets cycled through during training (order/connectivity-agnostic when
// num_masks > 1), validation NLL at each evaluation, and at the end the test NLL (MADE:
// an ensemble of `ensemble` mask sets, as a mixture) and sampled images in the run file.
#pragma once

#include <memory>

#include "experiments/families/family.h"

namespace genlab {

std::unique_ptr<Family> make_autoregressive_family(const ExperimentConfig& config,
                                                   const Dataset& data, Generator& init);

}  // namespace genlab
