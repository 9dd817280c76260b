// A model family as the runner sees it. The runner owns the loop, progress, evaluation,
// checkpoint slots, RNG streams and the run file; a family owns its model, optimizer and
// averaged weights. New families (autoregressive, VAE) implement this and add one line to
// make_family's table in family.cpp; the runner has no family-specific code.
//
//   auto family = make_family(config, init);
//   auto step = family->train_step(batch, noise, lr);
//   const Denoiser* d = family->denoiser();   // what the sampler variants sample
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "core/optim/optimizer.h"
#include "core/rng.h"
#include "experiments/config/experiment_config.h"
#include "experiments/datasets.h"
#include "experiments/run_file.h"
#include "samplers/denoiser.h"

namespace genlab {

using NamedTensorMap = std::map<std::string, Tensor>;

class Family {
 public:
  virtual ~Family() = default;
  virtual std::string describe() const = 0;  // one line for the log
  virtual bool trainable() const = 0;

  struct Step {
    double loss = 0, grad_norm = 0;
  };
  virtual Step train_step(const Tensor& batch, Generator& noise, float lr) = 0;

  virtual NamedTensorMap weights() const = 0;                       // -> /model
  virtual NamedTensorMap averaged_weights() const = 0;              // -> /model/ema
  virtual void load_averaged_weights(const NamedTensorMap& w) = 0;  // `genlab sample`

  // Training state beyond the weights (optimizer slots, EMA), as named tensor groups and
  // scalar attributes; load_state restores weights and state exactly (resume).
  virtual std::map<std::string, NamedTensorMap> state() const = 0;
  virtual std::map<std::string, std::string> state_attrs() const = 0;
  virtual void load_state(const NamedTensorMap& weights,
                          const std::map<std::string, NamedTensorMap>& groups,
                          const std::map<std::string, std::string>& attrs) = 0;

  // The denoiser the sampler variants and evaluations use (averaged weights); valid until
  // the next train_step; null for a family that samples otherwise (then `samplers:` is
  // not used).
  virtual const Denoiser* denoiser() = 0;

  // Metrics of the family's own at each evaluation (validation NLL, ...), merged into /eval.
  virtual std::map<std::string, double> evaluate(const Dataset&) { return {}; }
  // After training: the family's own results into the run file (test NLL, samples).
  virtual void finish(RunFile&, const Dataset&, Generator&, std::ostream&) {}
};

// Optimizer state as one flat group of the checkpoint ("<param>|<slot>" -> tensor), and back.
NamedTensorMap flatten_optimizer_state(const OptimizerState& state);
OptimizerState unflatten_optimizer_state(const NamedTensorMap& flat, int64_t step);

// The family named by config.model.family; the error lists the available ones. `data`
// gives the data's dimensions.
std::unique_ptr<Family> make_family(const ExperimentConfig& config, const Dataset& data,
                                    Generator& init);

}  // namespace genlab
