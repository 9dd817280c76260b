// Deterministic samplers of the probability-flow ODE: euler, heun (EDM Algorithm 1),
// ddim (D held constant over each step), dpmpp_2m (DPM-Solver++(2M)), rk4 and rk45
// (adaptive Dormand-Prince, the accuracy reference). make_sampler builds them by name
// from the rows of ode_sampler_entries() (sampler_registry.h). NFE for a grid of N steps
// ending at sigma = 0: euler N, heun 2N - 1, ddim N, dpmpp_2m N, rk4 4N - 3, rk45 adaptive.
#pragma once

#include "genlab/samplers/sampler_registry.h"
