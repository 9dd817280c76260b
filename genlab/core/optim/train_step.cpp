#include "genlab/core/optim/train_step.h"

#include "genlab/core/autograd.h"

namespace genlab {

TrainStep::TrainStep(std::unique_ptr<Optimizer> optimizer, std::vector<Tensor> trainable, TrainStepOptions options)
    : optimizer_(std::move(optimizer)), trainable_(std::move(trainable)), options_(options) {}

TrainStep::Result TrainStep::run(const Tensor& local_loss, const ShardedStep& dp, float lr,
                                 const std::vector<double>& local_means) {
  optimizer_->set_lr(lr);
  const Tensor loss = dp.weigh(local_loss);
  optimizer_->zero_grad();
  loss.backward();
  // The loss and the means are summed over the ranks with the gradients.
  std::vector<double> scalars{loss.item()};
  for (double m : local_means) scalars.push_back(dp.weigh(m));
  dp.reduce(trainable_, scalars);
  Result r;
  r.grad_norm = options_.grad_clip > 0 ? clip_grad_norm(trainable_, options_.grad_clip) : grad_norm(trainable_);
  optimizer_->step();
  r.loss = scalars[0];
  r.means.assign(scalars.begin() + 1, scalars.end());
  return r;
}

}  // namespace genlab
