// A model family as the runner sees it. The runner owns the loop, progress, evaluation,
// checkpoint slots, random streams and the run file; it knows no family's keys. A family
// owns its section of the config (its options struct and fields(), see registry.h), its
// model and optimizer, its training state, its evaluations and results. A family that
// samples through a denoiser hands the runner a SamplingTarget, and the runner's sampler
// variants, likelihood and rk45 reference use only that.
//
//   std::unique_ptr<Family> f = find_family("diffusion").make(context);
//   Family::Step s = f->train_step(batch, noise, lr);   // batch.x, batch.labels
//   if (auto target = f->sampling_target()) sample(target->denoiser, ...);
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "genlab/core/distributed/data_parallel.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/optim/train_step.h"
#include "genlab/core/rng.h"
#include "genlab/experiments/config/sections.h"
#include "genlab/experiments/data/data_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/run/checkpoint.h"
#include "genlab/samplers/denoiser.h"
#include "genlab/samplers/process.h"

namespace genlab {

class RunFile;  // genlab/experiments/run/run_file.h: what finish() writes its results into


// What the runner samples: a denoiser under the process it was trained under (the very
// Process, parameters and all), the data's scale (the PF-ODE likelihood's prior), and
// the exact density when the family knows it.
struct SamplingTarget {
  const Denoiser* denoiser = nullptr;
  std::shared_ptr<const Process> process;
  double sigma_data = 0.5;
  const GaussianMixture* exact = nullptr;
};

// What a family is built from: the resolved config (its options are
// config.model.options), the data, and the run's root stream, from which the family
// takes its random streams by name.
struct FamilyContext {
  const ModelConfig& model;       // model.options: the family's own keys
  const TrainConfig& train;       // lr, grad_clip, ema_decay
  const DataConfig& data_config;  // data.name and the data set's own keys
  std::string config_yaml;        // the resolved config, for files that record it
  const Dataset& data;
  Generator root;
  // The processes training this model together (data parallelism, issue 16); null: one.
  const Communicator* comm = nullptr;
  // The stream `name` of this family, root.derive(name). Never the raw seed plus an
  // offset: streams of different names are independent. The runner's own names
  // (runner_stream_names()) are refused, so a family cannot replay the runner's draws.
  Generator stream(const std::string& name) const;
  const Communicator& communicator() const { return comm ? *comm : single_process(); }
  template <class Options>
  const Options& options() const {
    return model.options.as<Options>();
  }
  // The family's TrainStep over `trainable`: train.lr and train.grad_clip from the config,
  // Adam with `adam`'s other settings (AdamW, decoupled weight decay, when `decoupled`).
  TrainStep train_step(const NamedTensors& trainable, AdamOptions adam = {}, bool decoupled = false) const;
};

class Family {
 public:
  virtual ~Family() = default;
  virtual std::string describe() const = 0;  // one line for the log
  virtual bool trainable() const { return true; }
  // Trained values (buffers such as masks and fixed frequencies not counted); 0 untrained.
  virtual int64_t parameter_count() const { return 0; }
  // Those the optimizer updates: fewer when part of the model is frozen (LoRA).
  virtual int64_t trainable_parameter_count() const { return parameter_count(); }
  // Multiply-adds of one example's forward pass, for threads: 0 (auto); 0: estimate it by
  // the weight count, right for MLPs, far too low where weights are shared over positions.
  virtual double multiply_adds_per_example() const { return 0; }

  struct Step {
    double loss = 0, grad_norm = 0;
  };
  // One optimizer step: the family's loss on the batch through its TrainStep
  // (FamilyContext::train_step), which sums the gradients over the ranks. Under data
  // parallelism the batch is this rank's rows of the global batch (batch.global_rows,
  // sharded_step() tells the TrainStep), the noise stream draws for the global batch and
  // hands back this rank's rows; the loss returned is the global batch's.
  virtual Step train_step(const Batch& batch, Generator& noise, float lr) = 0;

  virtual NamedTensorMap weights() const = 0;  // -> /model
  // The weights samples are drawn with (-> /model/ema): the EMA where the family keeps one.
  virtual NamedTensorMap sampling_weights() const { return weights(); }
  virtual void load_sampling_weights(const NamedTensorMap& w) = 0;  // `genlab sample`

  // Everything training continues from; load(save()) restores it exactly (resume).
  virtual TrainingState save() const = 0;
  virtual void load(const TrainingState& state) = 0;

  // The denoiser the sampler variants and evaluations use; valid until the next
  // train_step. None for a family that samples otherwise (then `samplers:` is unused).
  virtual std::optional<SamplingTarget> sampling_target() { return std::nullopt; }

  // Metrics of the family's own at each evaluation (validation NLL, ...), merged into /eval.
  virtual std::map<std::string, double> evaluate(const Dataset&) { return {}; }
  // After training: the family's own results into the run file (test NLL, samples).
  // Called once per run; on resume it runs again only if the run had not reached it.
  virtual void finish(RunFile&, const Dataset&, std::ostream&) {}
};

// The streams the runner derives from the root itself: data, noise, epochs, reference,
// sampling, held_out, probes.
const std::vector<std::string>& runner_stream_names();

// Optimizer state as one flat group of the checkpoint ("<param>|<slot>" -> tensor), and back.
NamedTensorMap flatten_optimizer_state(const OptimizerState& state);
OptimizerState unflatten_optimizer_state(const NamedTensorMap& flat, int64_t step);
// The optimizer's part of every family's checkpoint: the group "optimizer" and the
// attribute "optimizer_step".
void save_optimizer(const Optimizer& optimizer, TrainingState& state);
void load_optimizer(Optimizer& optimizer, const TrainingState& state);

// A state attribute, with an error naming it when a checkpoint lacks it.
const std::string& state_attr(const TrainingState& s, const std::string& name);
// One that counts (steps, updates): a whole number >= 0, or an error naming it.
int64_t state_count(const TrainingState& s, const std::string& name);

// The data-parallel side of one train step on `batch` (one process: a no-op ShardedStep).
inline ShardedStep sharded_step(const Communicator& comm, const Batch& batch) {
  const int64_t rows = batch.x.size(0);
  return {&comm, rows, batch.global_rows > 0 ? batch.global_rows : rows};
}
const NamedTensorMap& state_group(const TrainingState& s, const std::string& name);

}  // namespace genlab
