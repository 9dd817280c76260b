// One optimizer step, the same for every family (issue 30): the loss of this rank's rows
// weighed to the global batch, backward, the gradients and the step's reported means
// summed over the ranks, clipping, the update. A family computes its loss
// on a batch and calls run(); gradient sync lives here alone.
//
//   TrainStep step(std::make_unique<Adam>(net.named_parameters(), AdamOptions{.lr = 1e-3f}),
//                  net.parameters(), {.grad_clip = 1.0f});
//   auto r = step.run(model.loss(batch), dp, lr);   // r.loss: the global batch's mean
#pragma once

#include <memory>
#include <vector>

#include "genlab/core/distributed/data_parallel.h"
#include "genlab/core/optim/optimizer.h"

namespace genlab {

struct TrainStepOptions {
  float grad_clip = 0.0f;  // max global gradient norm; 0: off
};

class TrainStep {
 public:
  // `trainable`: the tensors whose gradients are summed and clipped (those the optimizer
  // updates; fewer than the model's under LoRA).
  TrainStep(std::unique_ptr<Optimizer> optimizer, std::vector<Tensor> trainable, TrainStepOptions options = {});

  struct Result {
    double loss = 0;
    float grad_norm = 0;        // before clipping
    std::vector<double> means;  // the run's `local_means`, as global-batch means
  };
  // One step at learning rate `lr` from `local_loss`, the mean over this rank's rows
  // (dp: which share of the global batch they are; one process: ShardedStep{}).
  // `local_means`: further means over this rank's rows to report (a VAE's reconstruction
  // and KL), summed over the ranks with the gradients (allreduce_gradients).
  Result run(const Tensor& local_loss, const ShardedStep& dp, float lr, const std::vector<double>& local_means = {});

  Optimizer& optimizer() { return *optimizer_; }
  const Optimizer& optimizer() const { return *optimizer_; }

 private:
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<Tensor> trainable_;
  TrainStepOptions options_;
};

}  // namespace genlab
