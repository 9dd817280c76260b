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

#include "genlab/core/options.h"
#include "genlab/core/rng.h"
#include "genlab/samplers/denoiser.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sample_state.h"

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

// A sampler's options are its own struct with fields() (genlab/core/options.h), held as
// AnyOptions: sampler_defaults(name) at the defaults, read from a config by its fields().
// Code and command lines set them by name, a number or a choice's name
// ({{"eta", 0.5}, {"solver_type", "heun"}}); unknown names and values out of range are
// errors naming the sampler.
using SamplerParams = OptionValues;

// The last step of a grid that ends at sigma = 0. `denoise` returns s(0) D(x / s; sigma)
// from the last positive sigma, as DDIM, DPM++ and ancestral sampling do by construction,
// so every sampler converges to the same map as its steps grow. `euler` takes the
// sampler's own step in process time, which on VE (t = sigma^2) stops half-way and on VP
// about 55% of the way to D.
enum class FinalStep { denoise, euler };
const std::vector<std::string>& names_of(FinalStep);  // {"denoise", "euler"}, by enum order
const std::vector<std::string>& final_step_names();
FinalStep parse_final_step(const std::string& name);  // throws std::invalid_argument

// Where a stochastic sampler's fresh noise comes from (noise_source.h): independent draws
// per step, or increments of one Brownian path per sample, the same at every step count.
enum class NoiseKind { independent, brownian_tree };
const std::vector<std::string>& names_of(NoiseKind);  // {"independent", "brownian_tree"}
const std::vector<std::string>& noise_kind_names();
NoiseKind parse_noise_kind(const std::string& name);  // throws std::invalid_argument

// What every sampler takes besides its own options.
struct SamplerSettings {
  FinalStep final_step = FinalStep::denoise;
  // float64: the state and its updates in double, the network in float32 (sample_state.h).
  Precision precision = Precision::float32;
  // Stochastic samplers whose noise belongs to intervals of sigma (sampler_takes_noise).
  NoiseKind noise = NoiseKind::independent;
};

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

// Throws with the allowed names (or the allowed option keys) on unknown ones, for values
// out of range, and for a noise kind the sampler does not take.
std::unique_ptr<Sampler> make_sampler(const std::string& name, const AnyOptions& options,
                                      const SamplerSettings& settings);
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params,
                                      const SamplerSettings& settings);
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params = {},
                                      FinalStep final_step = FinalStep::denoise);
const std::vector<std::string>& sampler_names();
// The sampler's options struct at its defaults, and with `params` set (checked).
AnyOptions sampler_defaults(const std::string& name);
AnyOptions sampler_options(const std::string& name, const SamplerParams& params);
// A step count at which the sampler is accurate on smooth low-dimensional problems
// (the tests sample the exact mixture at it).
int default_steps(const std::string& name);
// One line on what the sampler is (for the config reference).
std::string sampler_doc(const std::string& name);
// Whether it chooses its own steps (rk45): its `steps` then only shape the grid's ends.
bool sampler_is_adaptive(const std::string& name);
// Whether `noise: brownian_tree` applies (stochastic samplers whose noise is drawn per
// interval of sigma).
bool sampler_takes_noise(const std::string& name);
// The order of the global error at these options (the registry row's; 0: stochastic at
// these options), and the network evaluations per sample (unguided) for `steps` steps of a
// grid ending at sigma = 0 (-1: adaptive, chosen as it runs).
double sampler_order(const std::string& name, const AnyOptions& options);
double sampler_order(const std::string& name, const SamplerParams& params = {});
int64_t sampler_nfe(const std::string& name, int64_t steps, const AnyOptions& options);
int64_t sampler_nfe(const std::string& name, int64_t steps, const SamplerParams& params = {});
// Why this sampler is not to be trusted on this grid kind ("" if it is): the registry
// row's unstable_grids.
std::string sampler_grid_warning(const std::string& name, const std::string& grid);
// The NFE a fixed-step sampler takes on this grid: it does not depend on the model, so it
// is counted on one row with a zero denoiser that costs what `like` costs per sigma
// (guidance: two). -1 for an adaptive sampler, whose count depends on the model.
int64_t expected_nfe(const std::string& sampler_name, const Sampler& sampler, const Denoiser& like,
                     const Process& process, const std::vector<double>& t);

// The sampler's options with their defaults, for listings: "eta=1, solver_type=midpoint
// (midpoint | heun); takes noise: brownian_tree" (`assign` between key and value, `bar`
// between named values); "" when it takes none.
std::string describe_sampler_options(const std::string& name, const std::string& assign = "=",
                                     const std::string& bar = " | ");

}  // namespace genlab
