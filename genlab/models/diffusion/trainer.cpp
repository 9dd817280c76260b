#include "genlab/models/diffusion/trainer.h"

namespace genlab {

DiffusionTrainer::DiffusionTrainer(DiffusionModel& model, const DiffusionTrainerOptions& options)
    : model_(model),
      o_(options),
      step_(std::make_unique<Adam>(model.named_parameters(), options.adam), model.parameters(),
            {.grad_clip = options.grad_clip}),
      ema_(model.named_parameters(), options.ema) {}

DiffusionTrainer::StepStats DiffusionTrainer::step_stats(const Tensor& x0, Generator& rng,
                                                         const Tensor& labels,
                                                         const ShardedStep& dp) {
  const TrainStep::Result r =
      step_.run(model_.training_loss(x0, rng, labels, o_.label_dropout), dp, step_.optimizer().lr());
  ema_.update(model_.named_parameters());
  return {static_cast<float>(r.loss), r.grad_norm};
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
