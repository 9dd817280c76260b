// The rows of the sampler table: each sampler file (ode_samplers.cpp, sde_samplers.cpp)
// lists its samplers here, each row a name, its options struct at its defaults (whose
// fields() declare the keys, ranges and checks), a default step count and a factory. A new
// sampler is one step function, its options struct with fields(), and one row beside
// them; make_sampler, sampler_names(), configs and the config reference read these rows.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "genlab/samplers/sampler.h"

namespace genlab {

struct SamplerEntry {
  std::string name;
  std::string doc;          // one line for `genlab config --reference`
  AnyOptions defaults;      // the options struct (NoOptions: none) at its defaults
  int steps;                // default step count (accurate on smooth 2-D problems)
  // Builds the sampler from its options struct, already checked against its fields().
  std::function<std::unique_ptr<Sampler>(const AnyOptions&, const SamplerSettings&)> make;
  bool adaptive = false;  // chooses its own steps (the grid gives only its ends)
  bool noise = false;     // takes `noise: brownian_tree` (sampler_takes_noise)
  // The order of the global error at these options, error ~ steps^-order as the steps grow
  // (on a grid that allows it: the flow grid caps every sampler at 2); for an adaptive one,
  // the order of its method. 0: stochastic at these options (checked in distribution).
  // The product test (tests/samplers/test_sampler_product.cpp) measures it; `genlab list
  // samplers` prints it.
  std::function<double(const AnyOptions&)> order = {};
  // Network evaluations per sample (unguided) on a grid ending at sigma = 0 with `steps`
  // steps; -1 for an adaptive sampler (it chooses as it runs).
  std::function<int64_t(int64_t steps, const AnyOptions&)> nfe = {};
  // Grids on which the sampler is unstable, as measured by the product test; a config that
  // asks for one gets a note, and the product test skips the combination.
  std::vector<std::string> unstable_grids = {};
};

// Orders and counts for the rows.
inline std::function<double(const AnyOptions&)> fixed_order(double p) {
  return [p](const AnyOptions&) { return p; };
}
// `per_step` evaluations per step, the last step into sigma = 0 one evaluation.
inline std::function<int64_t(int64_t, const AnyOptions&)> evaluations_per_step(int64_t per_step) {
  return [per_step](int64_t n, const AnyOptions&) { return per_step * (n - 1) + 1; };
}
inline int64_t adaptive_nfe(int64_t, const AnyOptions&) { return -1; }

const std::vector<SamplerEntry>& ode_sampler_entries();
const std::vector<SamplerEntry>& sde_sampler_entries();
const std::vector<SamplerEntry>& dpm_solver_sampler_entries();
const std::vector<SamplerEntry>& multistep_sampler_entries();
const std::vector<SamplerEntry>& restart_sampler_entries();
const std::vector<SamplerEntry>& adaptive_sampler_entries();


}  // namespace genlab
