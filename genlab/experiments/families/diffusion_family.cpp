#include "genlab/experiments/families/diffusion_family.h"

#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/models/diffusion/trainer.h"
#include "genlab/samplers/process.h"

namespace genlab {
namespace {

// The U-Net's options from the config's net section and the data's image shape.
UNetOptions unet_for(const DiffusionNetOptions& n, int64_t classes, const Dataset& data) {
  UNetOptions u = n.unet;
  const int64_t pixels = data.height() * data.width();
  if (pixels <= 0 || data.dims() % pixels != 0)
    throw ConfigError("model.net.kind unet: the data has no image shape");
  u.image = {data.dims() / pixels, data.height(), data.width()};
  const int64_t halvings = static_cast<int64_t>(u.channel_mult.size()) - 1;
  if (u.image[1] % (int64_t{1} << halvings) || u.image[2] % (int64_t{1} << halvings))
    throw ConfigError("model.net.channel_mult: " + std::to_string(halvings + 1) +
                      " levels halve the image " + std::to_string(halvings) + " times, and " +
                      std::to_string(u.image[1]) + "x" + std::to_string(u.image[2]) +
                      " images do not divide; use fewer levels");
  u.embedding = n.embedding;
  u.num_classes = classes;
  return u;
}

class DiffusionFamily final : public Family {
 public:
  DiffusionFamily(const FamilyContext& c, DiffusionModel model)
      : o_(c.options<DiffusionFamilyOptions>()),
        model_(std::move(model)),
        trainer_(model_, {.adam = {.lr = static_cast<float>(c.train.lr)},
                          .ema = {.decay = static_cast<float>(c.train.ema_decay)},
                          .grad_clip = static_cast<float>(c.train.grad_clip),
                          .label_dropout = o_.label_dropout}) {
    comm_ = &c.communicator();
  }

  int64_t parameter_count() const override { return model_.num_parameters(); }
  std::string describe() const override {
    return "diffusion (" + o_.preconditioning.process + ", " +
           std::to_string(model_.num_parameters()) + " parameters)";
  }
  Step train_step(const Batch& batch, Generator& noise, float lr) override {
    trainer_.optimizer().set_lr(lr);
    // An unconditional model ignores the data's labels.
    const auto s = trainer_.step_stats(batch.x, noise, o_.classes > 0 ? batch.labels : Tensor(),
                                       sharded_step(*comm_, batch));
    return {s.loss, s.grad_norm};
  }
  NamedTensorMap weights() const override { return model_.state_dict(); }
  NamedTensorMap sampling_weights() const override { return trainer_.averaged_state(); }
  void load_sampling_weights(const NamedTensorMap& w) override {
    model_.load_state_dict(w);
    ema_model_.reset();
    loaded_averaged_ = true;
  }
  TrainingState save() const override {
    TrainingState s{{{"params", model_.state_dict()}, {"ema", trainer_.ema().shadow()}},
                    {{"ema_updates", std::to_string(trainer_.ema().updates())}}};
    save_optimizer(trainer_.optimizer(), s);
    return s;
  }
  void load(const TrainingState& s) override {
    model_.load_state_dict(state_group(s, "params"));
    trainer_.ema().load(state_group(s, "ema"), state_count(s, "ema_updates"));
    load_optimizer(trainer_.optimizer(), s);
  }
  std::optional<SamplingTarget> sampling_target() override {
    return SamplingTarget{.denoiser = averaged(),
                          .process = model_.preconditioning().shared_process(),
                          .sigma_data = o_.preconditioning.sigma_data};
  }

 private:
  const Communicator* comm_ = &single_process();  // data parallelism (issue 16)
  // The EMA model, rebuilt only when the EMA has moved since the last call, so a pointer
  // stays valid until the next training step.
  const Denoiser* averaged() {
    if (loaded_averaged_) return &model_;  // the model holds the averaged weights already
    if (!ema_model_ || ema_built_at_ != trainer_.ema().updates()) {
      ema_model_ = trainer_.ema_model();
      ema_built_at_ = trainer_.ema().updates();
    }
    return ema_model_.get();
  }

  DiffusionFamilyOptions o_;
  DiffusionModel model_;
  DiffusionTrainer trainer_;
  std::unique_ptr<DiffusionModel> ema_model_;
  int64_t ema_built_at_ = -1;
  bool loaded_averaged_ = false;
};

}  // namespace

FamilySpec diffusion_family_spec() {
  FamilySpec spec{"diffusion",
          "score matching / flow matching under EDM's unified form: a denoiser MLP or U-Net, Adam, EMA",
          ChosenOptions::of(DiffusionFamilyOptions{}),
          [](const ChosenOptions& o) { return o.as<DiffusionFamilyOptions>().preconditioning.process; },
          [](const FamilyContext& c) -> std::unique_ptr<Family> {
            const auto& o = c.options<DiffusionFamilyOptions>();
            Generator init = c.stream("init");
            if (o.classes > 0 && c.data.num_classes() == 0)
              throw ConfigError("model.classes " + std::to_string(o.classes) + ": data '" +
                                c.data_config.name + "' has no labels");
            if (o.classes > 0 && c.data.num_classes() > o.classes)
              throw ConfigError("model.classes " + std::to_string(o.classes) + ": data '" +
                                c.data_config.name + "' has labels up to " +
                                std::to_string(c.data.num_classes() - 1) + "; set classes: " +
                                std::to_string(c.data.num_classes()));
            if (o.net.kind == "unet")
              return std::make_unique<DiffusionFamily>(
                  c, DiffusionModel(o.preconditioning, unet_for(o.net, o.classes, c.data), init));
            DenoiserNetOptions net = o.net;
            net.dims = c.data.dims();
            return std::make_unique<DiffusionFamily>(c, DiffusionModel(o.preconditioning, net, init));
          }};
  spec.classes = [](const ChosenOptions& o) { return o.as<DiffusionFamilyOptions>().classes; };
  return spec;
}

}  // namespace genlab
