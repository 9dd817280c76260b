// The rows of the sampler table: each sampler file (ode_samplers.cpp, sde_samplers.cpp)
// lists its samplers here, each row a name, its options with defaults, a default step
// count and a factory. A new sampler is one step function plus one row beside it;
// make_sampler, sampler_names() and the config reference read these rows.
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
  SamplerParams defaults;   // every option the sampler takes
  int steps;                // default step count (accurate on smooth 2-D problems)
  // Builds the sampler from the defaults merged with the user's options; throws
  // std::invalid_argument with the sampler's name for values out of range.
  std::function<std::unique_ptr<Sampler>(const SamplerParams&, const SamplerSettings&)> make;
  bool adaptive = false;  // chooses its own steps (the grid gives only its ends)
  bool noise = false;     // takes `noise: brownian_tree` (sampler_takes_noise)
  // Options with named values: option -> names (the value is the name's index).
  std::map<std::string, std::vector<std::string>> choices = {};
};

const std::vector<SamplerEntry>& ode_sampler_entries();
const std::vector<SamplerEntry>& sde_sampler_entries();
const std::vector<SamplerEntry>& dpm_solver_sampler_entries();
const std::vector<SamplerEntry>& multistep_sampler_entries();
const std::vector<SamplerEntry>& restart_sampler_entries();

// Throws std::invalid_argument("sampler 'NAME': WHAT") unless ok.
void require_sampler_option(bool ok, const std::string& sampler, const std::string& what);

}  // namespace genlab
