// What the runner does with a SamplingTarget: sample every variant from the same initial
// noise and score it (sample metrics; against the exact density and an rk45 solution
// from the same noise when the target is exact), the periodic sample evaluation, and
// the PF-ODE likelihood of held-out data. It sees only the target, never a family.
//
//   VariantContext ctx = make_variant_context(*target, config, data, root);
//   SummaryRow row = run_variant(ctx, config.samplers[0], file);
#pragma once

#include <map>
#include <memory>
#include <ostream>

#include "genlab/experiments/config/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/run_file.h"
#include "genlab/samplers/process.h"

namespace genlab {

// Samples of the rk45 reference behind each variant's rk45_distance (the first ones of
// the shared noise).
inline constexpr int64_t kRk45ReferenceSamples = 1000;

// What every variant of a run shares: the target, its process, the initial noise, the
// reference data and (for exact targets) an rk45 solution from the same noise.
struct VariantContext {
  SamplingTarget target;
  std::shared_ptr<const Process> process;
  Tensor noise, reference, rk45_reference;
  Generator sampling = Generator(0);
};

VariantContext make_variant_context(const SamplingTarget& target, const ExperimentConfig& c,
                                    const Dataset& data, const Generator& root);

// Samples one variant from the shared noise, writes /variants/<name>, returns its row.
SummaryRow run_variant(const VariantContext& ctx, const SamplerVariant& v, RunFile& file);

// Sliced Wasserstein, MMD and energy distance of samples x to the reference.
std::map<std::string, double> distribution_metrics(const Tensor& x, const Tensor& reference);

// The periodic evaluation: heun with eval_steps from a fixed evaluation noise.
class SampleEvaluator {
 public:
  SampleEvaluator(const ExperimentConfig& c, const Dataset& data, const Generator& root);
  std::map<std::string, double> operator()(const SamplingTarget& target) const;

 private:
  int eval_steps_;
  Tensor reference_, noise_;
};

// PF-ODE NLL of held-out points (drawn from the "held_out" stream): the mean into
// /likelihood, and per point into /likelihood_points (the points, their NLL and, for an
// exact target, their exact log-density at sigma_min), for checks from outside.
void evaluate_likelihood(const SamplingTarget& target, const ExperimentConfig& c,
                         const Dataset& data, const Generator& root, int64_t step, RunFile& file,
                         std::ostream& out);

}  // namespace genlab
