// The analytic family: an exact Gaussian mixture (the data set itself, data.name
// mixture/... or mixture) sampled through its closed-form denoiser. Nothing is trained,
// so every difference between sampler variants is the samplers' own; the runner also
// stores each variant's exact log-density and each held-out point's exact density.
#pragma once

#include <string>

#include "genlab/experiments/config/schema.h"
#include "genlab/experiments/data/data_config.h"
#include "genlab/samplers/process.h"

namespace genlab {

struct AnalyticFamilyOptions {
  std::string process = "edm";  // the process the samplers integrate
  double sigma_data = 0.0;      // the PF-ODE likelihood's prior scale; 0: the mixture's own std
};

template <class V>
void fields(V& v, AnalyticFamilyOptions& o) {
  if constexpr (V::reading)
    v.check(data_of(v.context()).name.rfind("mixture", 0) == 0, "family",
            "the analytic family needs an exact mixture as data.name (mixture/eight_gaussians, "
            "mixture/grid25, mixture/random or mixture), got '" +
                data_of(v.context()).name + "'");
  v.field("process", o.process, "the process the samplers integrate", one_of(process_names()));
  v.field("sigma_data", o.sigma_data, "the likelihood prior's data scale",
          at_least(0).with_note("0: the mixture's own standard deviation"));
}

}  // namespace genlab
