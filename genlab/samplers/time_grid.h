// Time grids: where a sampler evaluates the model. Each grid is a spacing rule in
// sigma (EDM's rho-schedule, VP's linear t, VE's geometric sigma^2, flow's uniform t with
// an optional shift, uniform log sigma) between the process's sigma_max and sigma_min,
// mapped into the process's own time, so any grid drives any sampler on any process.
//
//   auto p = make_process("vp");
//   auto t = make_time_grid(*p, {.kind = "edm", .steps = 18});   // 19 times, last t(0)
#pragma once

#include <string>
#include <vector>

#include "genlab/samplers/process.h"

namespace genlab {

struct GridOptions {
  // "edm" (rho schedule) | "vp" (linear in VP time) | "ve" (geometric sigma^2)
  // | "flow" (uniform flow time t = sigma / (1 + sigma), optionally shifted) | "log_sigma"
  std::string kind = "edm";
  int steps = 18;
  double rho = 7.0;    // edm
  double shift = 1.0;  // flow: t -> shift t / (1 + (shift - 1) t), as in SD3; 1 = none
  // Overrides of the process's sampling range (0: the process's own).
  double sigma_min = 0.0, sigma_max = 0.0;
};

// steps + 1 decreasing process times. For every kind but "flow": `steps` noise levels from
// sigma_max to sigma_min, then a last step to sigma = 0 (EDM's convention). "flow" spaces
// steps + 1 points uniformly in flow time from t(sigma_max) down to 0 itself.
std::vector<double> make_time_grid(const Process& p, const GridOptions& o);

// The names make_time_grid accepts.
const std::vector<std::string>& time_grid_kinds();

// A process's natural grid, used when a variant names none: EDM's rho schedule for
// edm, vp and ve (Karras et al. 2022, Table 1; it holds on our trained image model, while
// on 2-D data the flow grid wins at 10-50 steps); for flow the flow grid, best on trained
// flow models and exact mixtures at 5-50 steps. The error-against-NFE tables behind this:
// bench/README.md, "Default grids: error against NFE".
std::string default_grid_kind(const std::string& process);

// The highest convergence order a sampler keeps on this grid, in the step counts people
// use (tests/samplers/test_sampler_product.cpp measures every sampler against it):
//   flow: 1.5. Its last step runs from sigma ~ 1/N straight into 0, and its last steps
//     are O(1) long in log sigma (sigma_k ~ k/N), so one-step samplers get 2 and the
//     log-sigma multistep ones (dpmpp_2m, dpmpp_3m, unipc) 1.5-1.9 at 256-1024 steps,
//     erratic below (rk4 at 256 steps: 7.8e-5 here, 1.1e-6 on the edm grid). It wins at
//     10-50 steps on a trained flow model (bench/README.md), not as N grows.
//   vp: 1. Linear in VP time, its steps near t_min jump sigma by 10x while sigma' ~ 1/sigma
//     there, so every sampler measures 1.0-1.3 (rk4 2.8) up to a few hundred steps.
//   edm, ve, log_sigma: no cap (the sampler's own order).
double grid_order_cap(const std::string& kind);

// EDM's schedule: make_time_grid(p, {.kind = "edm", .steps = n, .rho = rho}).
std::vector<double> karras_times(const Process& p, int n, double rho = 7.0);

}  // namespace genlab
