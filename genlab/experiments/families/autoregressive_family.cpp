#include "genlab/experiments/families/autoregressive_family.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/batched_eval.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/run/progress.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/models/autoregressive/fvsbn.h"
#include "genlab/models/autoregressive/made.h"
#include "genlab/models/autoregressive/nade.h"

namespace genlab {
namespace {

class AutoregressiveFamily final : public Family {
 public:
  explicit AutoregressiveFamily(const FamilyContext& c)
      : a_(c.options<AutoregressiveFamilyOptions>()),
        sampling_(c.stream("samples")) {
    comm_ = &c.communicator();
    const int64_t d = c.data.dims();
    Generator init = c.stream("init");
    if (a_.arch == "fvsbn") {
      model_ = std::make_unique<FVSBN>(d, init);
    } else if (a_.arch == "nade") {
      model_ = std::make_unique<NADE>(d, a_.made.hidden.at(0), init);
    } else if (a_.arch == "transformer") {
      TransformerOptions o = a_.transformer;
      o.dims = d;
      o.ordering = a_.made.ordering;
      o.order_seed = c.stream("order").state().key;
      auto transformer = std::make_unique<Transformer>(o, init);
      transformer_ = transformer.get();
      model_ = std::move(transformer);
    } else {
      MADEOptions o = a_.made;
      o.dims = d;
      o.mask_seed = c.stream("masks").state().key;
      auto made = std::make_unique<MADE>(o, init);
      made_ = made.get();
      model_ = std::move(made);
    }
    if (!a_.init_from.empty()) load_initial_weights(a_.init_from);
    if (a_.lora.rank > 0) {
      Generator lora_init = c.stream("lora");
      transformer_->add_lora({a_.lora.rank, static_cast<float>(a_.lora.alpha)}, a_.lora.targets, lora_init);
    }
    const NamedTensors params = model_->trainable_parameters();
    step_ = std::make_unique<TrainStep>(c.train_step(
        params, {.weight_decay = static_cast<float>(a_.weight_decay), .no_decay = no_decay_parameters(params)},
        a_.weight_decay > 0));
  }

  int64_t parameter_count() const override { return model_->num_parameters(); }
  int64_t trainable_parameter_count() const override { return model_->num_trainable_parameters(); }
  double multiply_adds_per_example() const override {
    if (!transformer_) return 0;  // MADE, NADE, FVSBN: about one multiply-add per weight
    // Every weight acts at each of the D positions, and causal attention adds about
    // D^2 / 2 x width for scores and as much for values, per block.
    const auto& o = transformer_->options();
    const double d = static_cast<double>(o.dims);
    return static_cast<double>(model_->num_parameters()) * d + static_cast<double>(o.layers) * d * d * o.width;
  }
  std::string describe() const override {
    std::string s = "autoregressive " + a_.arch + " (" + std::to_string(model_->num_parameters()) + " parameters";
    if (a_.lora.rank > 0)
      s += ", " + std::to_string(model_->num_trainable_parameters()) + " trainable: LoRA rank " +
           std::to_string(a_.lora.rank);
    return s + ")";
  }
  Step train_step(const Batch& b, Generator& noise, float lr) override {
    const Tensor& batch = b.x;
    if (made_ && made_->num_masks() > 1)
      made_->use_mask(static_cast<int>(steps_ % made_->num_masks()));
    ++steps_;
    const auto r = step_->run(-mean(model_->training_log_prob(batch, noise)),  // nats per example
                              sharded_step(*comm_, b), lr);
    return {static_cast<double>(static_cast<float>(r.loss)), r.grad_norm};
  }

  // No weight averaging in this family: /model/ema holds the same weights.
  NamedTensorMap weights() const override { return model_->state_dict(); }
  void load_sampling_weights(const NamedTensorMap& w) override { model_->load_state_dict(w); }

  TrainingState save() const override {
    TrainingState s{{{"params", model_->state_dict()}}, {{"family_steps", std::to_string(steps_)}}};
    save_optimizer(step_->optimizer(), s);
    return s;
  }
  void load(const TrainingState& s) override {
    model_->load_state_dict(state_group(s, "params"));
    load_optimizer(step_->optimizer(), s);
    steps_ = state_count(s, "family_steps");
  }

  std::map<std::string, double> evaluate(const Dataset& data) override {
    const Tensor v = data.validation();
    if (!v.defined() || v.size(0) == 0) return {};
    const double nll = mean_nll(v);
    return {{"validation_nll", nll},
            {"validation_bits_per_dim", nll / (v.size(1) * std::log(2.0))}};
  }

  void finish(RunFile& file, const Dataset& data, std::ostream& out) override {
    Generator rng = sampling_;
    const Tensor t = data.test();
    if (t.defined() && t.size(0) > 0) {
      const double nll = mean_nll(t, &out, "test NLL");
      const double bpd = nll / (t.size(1) * std::log(2.0));
      file.append("test", {{"nll_nats", nll},
                           {"bits_per_dim", bpd},
                           {"ensemble", double(made_ ? a_.ensemble : 1)},
                           {"examples", double(t.size(0))}});
      out << "test NLL: " << nll << " nats (" << bpd << " bits/dim) over " << t.size(0) << " images"
          << (made_ && a_.ensemble > 1 ? ", ensemble of " + std::to_string(a_.ensemble) + " masks"
                                       : "")
          << "\n";
    }
    if (a_.samples > 0) {
      if (made_) made_->use_mask(0);
      const auto start = std::chrono::steady_clock::now();
      const Tensor s = model_->sample(a_.samples, rng);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      file.write_tensors("samples",
                         {{"images", reshape(s, {a_.samples, data.height(), data.width()})}});
      // The wall-clock of drawing them (one batch), for comparing architectures' sampling.
      file.set_group_attrs("samples", {{"seconds", std::to_string(seconds)}});
      out << "sampled " << a_.samples << " images into /samples/images in " << seconds << " s\n";
    }
  }

 private:
  const Communicator* comm_ = &single_process();  // data parallelism (issue 16)
  // The final weights (/model) of another run: the same architecture and sizes, every
  // tensor present (a LoRA run's adapters are added after this).
  void load_initial_weights(const std::string& path) {
    std::map<std::string, Tensor> w;
    try {
      w = RunFile::open(path).read_tensors("model");
    } catch (const std::exception& e) {
      throw ConfigError("model.init_from: " + path + ": " + e.what());
    }
    std::map<std::string, Tensor> mine;
    for (const auto& [name, t] : model_->state_dict()) {
      const auto it = w.find(name);
      if (it == w.end())
        throw ConfigError("model.init_from: " + path + " has no /model/" + name +
                          " (a run of another architecture?)");
      mine[name] = it->second;
    }
    try {
      model_->load_state_dict(mine);
    } catch (const std::exception& e) {
      throw ConfigError("model.init_from: " + path + ": " + e.what());
    }
  }

  // Mean NLL in nats, in batches, no-grad; MADE averages `ensemble` mask sets as a mixture.
  // `out`: progress lines as `what` (a Transformer's pass over 10,000 test images is long).
  double mean_nll(const Tensor& x, std::ostream* out = nullptr, const std::string& what = "") {
    const int keep = made_ ? made_->current_mask() : 0;
    const int64_t n = x.size(0);
    std::ostringstream quiet;
    Progress line(out ? *out : quiet, what, static_cast<double>(n), "image");
    const double total = sum_over_batches(
        n, 1000,
        [&](int64_t begin, int64_t end) {
          const Tensor b = slice(x, 0, begin, end);
          return -sum(made_ ? made_->ensemble_log_prob(b, a_.ensemble) : model_->log_prob(b)).item();
        },
        [&](int64_t done) { line.update(static_cast<double>(done)); });
    if (made_) made_->use_mask(keep);
    return total / n;
  }

  AutoregressiveFamilyOptions a_;
  Generator sampling_;
  std::unique_ptr<AutoregressiveModel> model_;
  MADE* made_ = nullptr;
  Transformer* transformer_ = nullptr;
  std::unique_ptr<TrainStep> step_;
  int64_t steps_ = 0;
};

}  // namespace

FamilySpec autoregressive_family_spec() {
  FamilySpec spec{"autoregressive",
                  "FVSBN, NADE, MADE and a Transformer on binary images: exact NLL, samples",
                  ChosenOptions::of(AutoregressiveFamilyOptions{}), nullptr,
                  [](const FamilyContext& c) -> std::unique_ptr<Family> {
                    return std::make_unique<AutoregressiveFamily>(c);
                  }};
  spec.smoke = [](const ChosenOptions& options) {  // fewer sampled images (a pass each, Transformer)
    std::vector<std::string> out;
    cap_override(out, "model.samples", options.as<AutoregressiveFamilyOptions>().samples, 16);
    return out;
  };
  return spec;
}

}  // namespace genlab
