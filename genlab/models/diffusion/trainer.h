// One training step of a diffusion model: its loss through the shared TrainStep (backward,
// gradient sync, clipping, Adam), then the EMA of the weights, which is what samplers
// should use.
//
//   DiffusionTrainer trainer(model, {.adam = {.lr = 1e-3f}, .ema = {.decay = 0.999f}});
//   for (...) float loss = trainer.step(batch, rng);
//   auto sampling_model = trainer.ema_model();
#pragma once

#include <map>
#include <memory>
#include <string>

#include "genlab/core/distributed/data_parallel.h"
#include "genlab/core/optim/ema.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/optim/train_step.h"
#include "genlab/models/diffusion/diffusion_model.h"

namespace genlab {

struct DiffusionTrainerOptions {
  AdamOptions adam;
  EMAOptions ema;
  float grad_clip = 0.0f;  // max global gradient norm; 0 = off
  double label_dropout = 0.0;  // conditional models: P(label -> null) per example
};

class DiffusionTrainer {
 public:
  DiffusionTrainer(DiffusionModel& model, const DiffusionTrainerOptions& options);

  struct StepStats {
    float loss = 0, grad_norm = 0;  // grad_norm before clipping
  };
  // One step on the batch x0 [B, dims] (and its int32 labels [B] for a conditional
  // model); sigma, eps and the label dropout from rng.
  // Data parallel (dp sharded): x0 is this rank's rows, rng a sharded stream
  // (Generator::set_batch_shard); the gradients are summed over the ranks before clipping.
  StepStats step_stats(const Tensor& x0, Generator& rng, const Tensor& labels = Tensor(),
                       const ShardedStep& dp = {});
  float step(const Tensor& x0, Generator& rng) { return step_stats(x0, rng).loss; }
  // The model's state with the EMA in place of its parameters (buffers as they are).
  std::map<std::string, Tensor> averaged_state() const;
  // A copy of the model holding the EMA weights.
  std::unique_ptr<DiffusionModel> ema_model() const;

  Optimizer& optimizer() { return step_.optimizer(); }
  const Optimizer& optimizer() const { return step_.optimizer(); }
  EMA& ema() { return ema_; }
  const EMA& ema() const { return ema_; }

 private:
  DiffusionModel& model_;
  DiffusionTrainerOptions o_;
  TrainStep step_;
  EMA ema_;
};

}  // namespace genlab
