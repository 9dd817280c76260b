#include "genlab/models/diffusion/trainer.h"

#include "genlab/core/autograd.h"

namespace genlab {

DiffusionTrainer::DiffusionTrainer(DiffusionModel& model, const DiffusionTrainerOptions& options)
    : model_(model),
      o_(options),
      adam_(model.named_parameters(), options.adam),
      ema_(model.named_parameters(), options.ema) {}

DiffusionTrainer::StepStats DiffusionTrainer::step_stats(const Tensor& x0, Generator& rng,
                                                         const Tensor& labels,
                                                         const ShardedStep& dp) {
  const Tensor loss = dp.weigh(model_.training_loss(x0, rng, labels, o_.label_dropout));
  adam_.zero_grad();
  loss.backward();
  std::vector<double> global_loss{loss.item()};
  dp.reduce(model_.parameters(), global_loss);
  StepStats stats;
  stats.grad_norm = o_.grad_clip > 0 ? clip_grad_norm(model_.parameters(), o_.grad_clip)
                                     : grad_norm(model_.parameters());
  adam_.step();
  ema_.update(model_.named_parameters());
  stats.loss = static_cast<float>(global_loss[0]);
  return stats;
}

std::map<std::string, Tensor> DiffusionTrainer::averaged_state() const {
  auto state = model_.state_dict();  // buffers (embedding frequencies) as they are
  for (const auto& [name, value] : ema_.shadow()) state[name] = value;
  return state;
}

std::unique_ptr<DiffusionModel> DiffusionTrainer::ema_model() const {
  Generator unused(0);
  auto copy = model_.same_architecture(unused);
  copy->load_state_dict(averaged_state());
  return copy;
}

}  // namespace genlab
