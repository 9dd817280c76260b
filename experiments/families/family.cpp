#include "experiments/families/family.h"

#include <functional>
#include <stdexcept>
#include <vector>

#include "experiments/datasets.h"
#include "experiments/families/autoregressive_family.h"
#include "experiments/families/vae_family.h"
#include "models/diffusion/trainer.h"

namespace genlab {
namespace {

// Diffusion / flow matching: a preconditioned DenoiserNet, Adam, EMA.
class DiffusionFamily final : public Family {
 public:
  DiffusionFamily(const ExperimentConfig& c, Generator& init)
      : model_(c.model.preconditioning, c.model.net, init),
        trainer_(model_, {.adam = {.lr = static_cast<float>(c.train.lr)},
                          .ema = {.decay = static_cast<float>(c.train.ema_decay)},
                          .grad_clip = static_cast<float>(c.train.grad_clip)}),
        process_(c.model.preconditioning.process) {}

  std::string describe() const override {
    return "diffusion (" + process_ + ", " + std::to_string(model_.num_parameters()) +
           " parameters)";
  }
  bool trainable() const override { return true; }
  Step train_step(const Tensor& batch, Generator& noise, float lr) override {
    trainer_.optimizer().set_lr(lr);
    const auto s = trainer_.step_stats(batch, noise);
    return {s.loss, s.grad_norm};
  }
  NamedTensorMap weights() const override { return model_.state_dict(); }
  NamedTensorMap averaged_weights() const override { return trainer_.averaged_state(); }
  void load_averaged_weights(const NamedTensorMap& w) override {
    model_.load_state_dict(w);
    ema_model_.reset();
    loaded_averaged_ = true;
  }
  std::map<std::string, NamedTensorMap> state() const override {
    const NamedTensorMap slots = flatten_optimizer_state(trainer_.optimizer().state_dict());
    return {{"ema", trainer_.ema().shadow()}, {"optimizer", slots}};
  }
  std::map<std::string, std::string> state_attrs() const override {
    return {{"optimizer_step", std::to_string(trainer_.optimizer().state_dict().step)},
            {"ema_updates", std::to_string(trainer_.ema().updates())}};
  }
  void load_state(const NamedTensorMap& weights,
                  const std::map<std::string, NamedTensorMap>& groups,
                  const std::map<std::string, std::string>& attrs) override {
    model_.load_state_dict(weights);
    trainer_.ema().load(groups.at("ema"), std::stoll(attrs.at("ema_updates")));
    const OptimizerState os =
        unflatten_optimizer_state(groups.at("optimizer"), std::stoll(attrs.at("optimizer_step")));
    trainer_.optimizer().load_state_dict(os);
  }
  // Rebuilt only when the EMA has moved since the last call, so a pointer stays valid
  // until the next training step.
  const Denoiser* denoiser() override {
    if (loaded_averaged_) return &model_;  // the model holds the averaged weights already
    if (!ema_model_ || ema_built_at_ != trainer_.ema().updates()) {
      ema_model_ = trainer_.ema_model();
      ema_built_at_ = trainer_.ema().updates();
    }
    return ema_model_.get();
  }

 private:
  DiffusionModel model_;
  DiffusionTrainer trainer_;
  std::string process_;
  std::unique_ptr<DiffusionModel> ema_model_;
  int64_t ema_built_at_ = -1;
  bool loaded_averaged_ = false;
};

// An exact Gaussian mixture (the data set itself): nothing to train.
class AnalyticFamily final : public Family {
 public:
  explicit AnalyticFamily(const ExperimentConfig& c)
      : data_(make_dataset(c.data)), name_(c.data.name) {
    if (!data_->mixture())
      throw std::invalid_argument("the analytic family needs an exact mixture as data.name");
  }
  std::string describe() const override { return "analytic " + name_ + " (no training)"; }
  bool trainable() const override { return false; }
  Step train_step(const Tensor&, Generator&, float) override {
    throw std::logic_error("the analytic family does not train");
  }
  NamedTensorMap weights() const override { return {}; }
  NamedTensorMap averaged_weights() const override { return {}; }
  void load_averaged_weights(const NamedTensorMap&) override {}
  std::map<std::string, NamedTensorMap> state() const override { return {}; }
  std::map<std::string, std::string> state_attrs() const override { return {}; }
  void load_state(const NamedTensorMap&, const std::map<std::string, NamedTensorMap>&,
                  const std::map<std::string, std::string>&) override {}
  const Denoiser* denoiser() override { return data_->mixture(); }

 private:
  std::unique_ptr<Dataset> data_;
  std::string name_;
};

using Factory =
    std::function<std::unique_ptr<Family>(const ExperimentConfig&, const Dataset&, Generator&)>;

// The families by name: the one place a new family is added.
const std::vector<std::pair<std::string, Factory>>& families() {
  static const std::vector<std::pair<std::string, Factory>> table{
      {"diffusion",
       [](const ExperimentConfig& c, const Dataset& d, Generator& g) -> std::unique_ptr<Family> {
         ExperimentConfig with_dims = c;
         with_dims.model.net.dims = d.dims();
         return std::make_unique<DiffusionFamily>(with_dims, g);
       }},
      {"analytic",
       [](const ExperimentConfig& c, const Dataset&, Generator&) -> std::unique_ptr<Family> {
         return std::make_unique<AnalyticFamily>(c);
       }},
      {"autoregressive", [](const ExperimentConfig& c, const Dataset& d,
                            Generator& g) { return make_autoregressive_family(c, d, g); }},
      {"vae", [](const ExperimentConfig& c, const Dataset& d,
                 Generator& g) { return make_vae_family(c, d, g); }},
  };
  return table;
}

}  // namespace

NamedTensorMap flatten_optimizer_state(const OptimizerState& state) {
  NamedTensorMap flat;
  for (const auto& [param, named] : state.slots)
    for (const auto& [name, t] : named) flat[param + "|" + name] = t;
  return flat;
}

OptimizerState unflatten_optimizer_state(const NamedTensorMap& flat, int64_t step) {
  OptimizerState state;
  state.step = step;
  for (const auto& [key, t] : flat) {
    const auto bar = key.rfind('|');
    state.slots[key.substr(0, bar)][key.substr(bar + 1)] = t;
  }
  return state;
}

std::unique_ptr<Family> make_family(const ExperimentConfig& config, const Dataset& data,
                                    Generator& init) {
  std::string names;
  for (const auto& [name, factory] : families()) {
    if (name == config.model.family) return factory(config, data, init);
    names += (names.empty() ? "" : ", ") + name;
  }
  throw std::invalid_argument("unknown model family '" + config.model.family +
                              "' (available: " + names + ")");
}

}  // namespace genlab
