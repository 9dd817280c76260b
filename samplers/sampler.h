// Samplers by name: deterministic solvers of the probability-flow ODE (euler, heun, ddim,
// dpmpp_2m, rk4, rk45) and stochastic ones (edm_stochastic, euler_maruyama,
// euler_ancestral, pc), all over a Denoiser, any Process and any time grid, in the
// general (sigma(t), s(t)) form. They run in no-grad mode, keep O(batch x dims) memory
// and count network evaluations (NFE) exactly.
//
//   auto p = make_process("edm");
//   auto sampler = make_sampler("edm_stochastic", {{"S_churn", 40}});
//   auto t = make_time_grid(*p, {.kind = "edm", .steps = 32});
//   Generator g = Generator(seed).derive("sampling");
//   Tensor noise = g.derive("init").normal_rows({n, dims}, first);   // sample first + i
//   SampleResult r = sampler->sample(model, *p, t, noise, {g.derive("steps"), first});
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "genlab/core/rng.h"
#include "genlab/samplers/denoiser.h"
#include "genlab/samplers/process.h"

namespace genlab {

struct SampleResult {
  Tensor x;
  int64_t nfe = 0;
};

// Fresh noise for stochastic steps. Draw k of a run is row (first_row + i) of stream k,
// so each sample's noise is fixed by the seed and its index, whatever its batch.
struct StepNoise {
  Generator gen = Generator(0);
  int64_t first_row = 0;
  Tensor draw(uint64_t k, const Shape& shape) const {
    return gen.derive(k).normal_rows(shape, first_row);
  }
};

// A sampler's numeric options by name (e.g. {"eta", 1.0}); unknown names are errors.
using SamplerParams = std::map<std::string, double>;

// The last step of a grid that ends at sigma = 0. `denoise` returns s(0) D(x / s; sigma)
// from the last positive sigma, as DDIM, DPM++ and ancestral sampling do by construction,
// so every sampler converges to the same map as its steps grow. `euler` takes the
// sampler's own step in process time, which on VE (t = sigma^2) stops half-way and on VP
// about 55% of the way to D.
enum class FinalStep { denoise, euler };
const std::vector<std::string>& final_step_names();  // {"denoise", "euler"}, by enum order
FinalStep parse_final_step(const std::string& name);  // throws std::invalid_argument

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  virtual bool stochastic() const { return false; }
  // t: decreasing process times (make_time_grid), the last one usually t(sigma = 0).
  // noise [n, dims] standard normal; x starts at s(t_0) sigma(t_0) noise.
  // rk45 uses only t's first and last two points (it chooses its own steps).
  virtual SampleResult sample(const Denoiser& d, const Process& p, const std::vector<double>& t,
                              const Tensor& noise, const StepNoise& step_noise = {}) const = 0;
};

// Throws with the allowed names (or the allowed option keys) on unknown ones.
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params = {},
                                      FinalStep final_step = FinalStep::denoise);
const std::vector<std::string>& sampler_names();
// The options a sampler takes, with their defaults.
SamplerParams sampler_defaults(const std::string& name);
// A step count at which the sampler is accurate on smooth low-dimensional problems
// (the tests sample the exact mixture at it).
int default_steps(const std::string& name);
// One line on what the sampler is (for the config reference).
std::string sampler_doc(const std::string& name);
// Whether it chooses its own steps (rk45): its `steps` then only shape the grid's ends.
bool sampler_is_adaptive(const std::string& name);

}  // namespace genlab
