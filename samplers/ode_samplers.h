// Deterministic samplers of the probability-flow ODE (interface in sampler.h;
// make_sampler builds them by name). NFE for a grid of N steps ending at sigma = 0:
// euler N, heun 2N - 1, ddim N, dpmpp_2m N, rk4 4N - 3, rk45 adaptive.
#pragma once

#include <memory>

#include "samplers/dormand_prince.h"
#include "samplers/sampler.h"

namespace genlab {

std::unique_ptr<Sampler> make_euler_sampler();
std::unique_ptr<Sampler> make_heun_sampler();      // EDM Algorithm 1
std::unique_ptr<Sampler> make_ddim_sampler();      // D held constant over each step
std::unique_ptr<Sampler> make_dpmpp_2m_sampler();  // DPM-Solver++(2M)
std::unique_ptr<Sampler> make_rk4_sampler();
// Adaptive Dormand-Prince with rtol / atol: the accuracy reference.
std::unique_ptr<Sampler> make_rk45_sampler(const OdeSolveOptions& o);

}  // namespace genlab
