// Equal-cost comparisons: a sampler variant may give `nfe: B` instead of `steps`; genlab
// then samples with the largest step count whose network evaluations per sample are at
// most B (a guided step counting both of its evaluations), counted exactly by running
// the sampler over a zero denoiser of the same cost.
//
//   const StepsForBudget s = steps_for_nfe_budget(variant, "edm", 0, 35);   // heun: 18, 35
#pragma once

#include <cstdint>
#include <string>

namespace genlab {

struct SamplerVariant;  // experiment_config.h, which uses these functions to resolve `nfe:`

struct StepsForBudget {
  int steps = 0;     // 0: even one step costs more than the budget
  int64_t nfe = 0;   // what those steps cost (<= the budget; less when no count hits it)
};

// `v`'s sampler, options, grid and guidance under `process`; `classes` > 0 for a
// class-conditional model (guidance then doubles the evaluations where it applies).
// Throws std::invalid_argument for an adaptive sampler (it chooses its own NFE).
StepsForBudget steps_for_nfe_budget(const SamplerVariant& v, const std::string& process, int64_t classes,
                                    int64_t budget);

// The exact NFE per sample of `v` at `steps` (the same count).
int64_t variant_nfe(const SamplerVariant& v, const std::string& process, int64_t classes, int steps);

}  // namespace genlab
