#include "experiments/families/vae_family.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/optim/optimizer.h"
#include "models/vae/gradient_study.h"
#include "models/vae/gumbel.h"
#include "models/vae/vae.h"

namespace genlab {
namespace {

VAEOptions vae_options(const VAEConfig& v, int64_t dims) {
  return {.dims = dims,
          .latent = v.latent,
          .latent_dim = v.latent_dim,
          .categories = v.categories,
          .hidden = v.hidden,
          .depth = v.depth,
          .activation = v.activation,
          .likelihood = v.likelihood,
          .learn_variance = v.learn_variance,
          .log_variance = v.log_variance};
}

// Held-out examples: the data set's own, or (generated data) a fixed draw of n.
Tensor held_out(const Tensor& set, const Dataset& data, int64_t n, uint64_t seed) {
  if (set.defined() && set.size(0) > 0)
    return n > 0 ? slice(set, 0, 0, std::min(n, set.size(0))) : set;
  Generator rng = Generator(seed).derive("vae_held_out");
  return data.draw(n > 0 ? n : 1000, rng);
}

class VAEFamily final : public Family {
 public:
  VAEFamily(const ExperimentConfig& c, const Dataset& data, Generator& init)
      : v_(c.model.vae),
        seed_(c.seed),
        grad_clip_(static_cast<float>(c.train.grad_clip)),
        vae_(vae_options(c.model.vae, data.dims()), init),
        adam_(vae_.named_parameters(), AdamOptions{.lr = static_cast<float>(c.train.lr)}),
        estimator_(parse_estimator(c.model.vae.estimator)),
        baseline_(c.model.vae.baseline_decay) {}

  std::string describe() const override {
    return "vae (" + v_.latent + " latents, " + v_.estimator + ", " +
           std::to_string(vae_.num_parameters()) + " parameters)";
  }
  bool trainable() const override { return true; }

  Step train_step(const Tensor& batch, Generator& noise, float lr) override {
    const double warm = v_.kl_warmup_steps > 0
                            ? std::min(1.0, double(steps_ + 1) / double(v_.kl_warmup_steps))
                            : 1.0;
    const ObjectiveOptions o{.estimator = estimator_,
                             .tau = annealed_temperature(v_.tau, v_.tau_min, v_.tau_rate, steps_),
                             .beta = v_.beta * warm,
                             .baseline = baseline_.value(),
                             .samples = 1};
    const auto terms = vae_.objective(batch, o, noise);
    adam_.set_lr(lr);
    adam_.zero_grad();
    terms.loss.backward();
    const float norm = grad_clip_ > 0 ? clip_grad_norm(vae_.parameters(), grad_clip_)
                                      : grad_norm(vae_.parameters());
    adam_.step();
    if (estimator_ == Estimator::reinforce_baseline) baseline_.update(terms.mean_f);
    ++steps_;
    // The loss column is the negative ELBO (beta = 1), whatever the training weights.
    return {-(mean(terms.reconstruction).item() - mean(terms.kl).item()), norm};
  }

  NamedTensorMap weights() const override { return vae_.state_dict(); }
  // No weight averaging in this family: /model/ema holds the same weights.
  NamedTensorMap averaged_weights() const override { return vae_.state_dict(); }
  void load_averaged_weights(const NamedTensorMap& w) override { vae_.load_state_dict(w); }

  std::map<std::string, NamedTensorMap> state() const override {
    return {{"optimizer", flatten_optimizer_state(adam_.state_dict())}};
  }
  std::map<std::string, std::string> state_attrs() const override {
    std::ostringstream b;
    b.precision(17);
    b << baseline_.value();
    return {{"optimizer_step", std::to_string(adam_.state_dict().step)},
            {"family_steps", std::to_string(steps_)},
            {"baseline", b.str()},
            {"baseline_started", baseline_.started() ? "1" : "0"}};
  }
  void load_state(const NamedTensorMap& weights,
                  const std::map<std::string, NamedTensorMap>& groups,
                  const std::map<std::string, std::string>& attrs) override {
    vae_.load_state_dict(weights);
    adam_.load_state_dict(
        unflatten_optimizer_state(groups.at("optimizer"), std::stoll(attrs.at("optimizer_step"))));
    steps_ = std::stoll(attrs.at("family_steps"));
    baseline_.load(std::stod(attrs.at("baseline")), attrs.at("baseline_started") == "1");
  }

  const Denoiser* denoiser() override { return nullptr; }

  std::map<std::string, double> evaluate(const Dataset& data) override {
    const Tensor v = held_out(data.validation(), data, 2000, seed_ + 1);
    Generator rng = Generator(seed_).derive("vae_validation");
    const double neg_elbo = -mean_in_batches(v, [&](const Tensor& b) { return vae_.elbo(b, rng); });
    std::map<std::string, double> row{{"validation_neg_elbo", neg_elbo}};
    if (vae_.categorical())
      row["tau"] = annealed_temperature(v_.tau, v_.tau_min, v_.tau_rate, steps_);
    return row;
  }

  void finish(RunFile& file, const Dataset& data, Generator& rng, std::ostream& out) override {
    const Tensor test = held_out(data.test(), data, 0, seed_ + 2);
    const double neg_elbo =
        -mean_in_batches(test, [&](const Tensor& b) { return vae_.elbo(b, rng); });
    const Tensor iwae_set = v_.iwae_examples > 0 && v_.iwae_examples < test.size(0)
                                ? slice(test, 0, 0, v_.iwae_examples)
                                : test;
    const double nll =
        -mean_in_batches(iwae_set, [&](const Tensor& b) { return vae_.iwae(b, v_.iwae_k, rng); });
    const double bpd = nll / (test.size(1) * std::log(2.0));
    file.append("test", {{"neg_elbo_nats", neg_elbo},
                         {"nll_nats", nll},
                         {"bits_per_dim", bpd},
                         {"iwae_k", double(v_.iwae_k)},
                         {"elbo_examples", double(test.size(0))},
                         {"iwae_examples", double(iwae_set.size(0))}});
    out << "test: -ELBO " << neg_elbo << " nats over " << test.size(0) << " examples; IWAE NLL "
        << nll << " nats (k = " << v_.iwae_k << ", " << iwae_set.size(0) << " examples)\n";
    const int64_t h = data.height(), w = data.width();
    NamedTensorMap images;
    if (v_.samples > 0)
      images["images"] = reshape(vae_.sample(v_.samples, rng), {v_.samples, h, w});
    const int64_t nr = std::min(v_.reconstructions, test.size(0));
    if (nr > 0) {
      const Tensor originals = slice(test, 0, 0, nr);
      images["originals"] = reshape(originals, {nr, h, w});
      images["reconstructions"] = reshape(vae_.reconstruct(originals), {nr, h, w});
    }
    if (!images.empty()) {
      file.write_tensors("samples", images);
      out << "wrote " << v_.samples << " samples and " << nr << " reconstructions to /samples\n";
    }
    if (v_.study.enabled) run_study(file, test, rng, out);
  }

 private:
  template <class Fn>
  double mean_in_batches(const Tensor& x, Fn&& per_example) {
    NoGradGuard no_grad;
    double total = 0;
    const int64_t n = x.size(0), bs = 500;
    for (int64_t i = 0; i < n; i += bs)
      total += sum(per_example(slice(x, 0, i, std::min(n, i + bs)))).item();
    return total / n;
  }

  void run_study(RunFile& file, const Tensor& examples, Generator& rng, std::ostream& out) {
    const auto& s = v_.study;
    GradientStudyOptions o{.repeats = s.repeats,
                           .samples = s.samples,
                           .reference_samples = s.reference_samples,
                           .tau = annealed_temperature(v_.tau, v_.tau_min, v_.tau_rate, steps_),
                           .baseline_decay = v_.baseline_decay};
    for (const auto& name : s.estimators.empty() ? estimator_names() : s.estimators) {
      const Estimator e = parse_estimator(name);
      if (estimator_fits_latent(e, vae_.categorical())) o.estimators.push_back(e);
    }
    const Tensor x = slice(examples, 0, 0, std::min(s.batch, examples.size(0)));
    const GradientStudy study = study_gradient_estimators(vae_, x, o, rng);
    std::vector<SummaryRow> rows;
    out << "estimator study (" << study.parameters
        << " encoder parameters, reference: " << study.reference << ", |reference| "
        << study.reference_norm << " +- " << study.reference_stderr << ")\n";
    for (const auto& r : study.rows) {
      rows.push_back({.text = {{"estimator", r.estimator}},
                      .numbers = {{"variance", r.variance},
                                  {"relative_std", r.relative_std},
                                  {"bias", r.bias},
                                  {"bias_noise", r.bias_noise},
                                  {"relative_bias", r.relative_bias},
                                  {"cosine", r.cosine},
                                  {"seconds", r.seconds}}});
      out << "  " << r.estimator << ": variance " << r.variance << ", relative std "
          << r.relative_std << ", bias " << r.bias << " (noise level " << r.bias_noise
          << "), cosine " << r.cosine << "\n";
    }
    file.write_table("estimators", "table", rows);
    std::ostringstream tau;
    tau << o.tau;
    file.set_group_attrs("estimators",
                         {{"reference", study.reference},
                          {"reference_norm", std::to_string(study.reference_norm)},
                          {"reference_stderr", std::to_string(study.reference_stderr)},
                          {"parameters", std::to_string(study.parameters)},
                          {"examples", std::to_string(x.size(0))},
                          {"repeats", std::to_string(s.repeats)},
                          {"samples", std::to_string(s.samples)},
                          {"tau", tau.str()}});
  }

  VAEConfig v_;
  uint64_t seed_;
  float grad_clip_;
  VAE vae_;
  Adam adam_;
  Estimator estimator_;
  MovingAverageBaseline baseline_;
  int64_t steps_ = 0;
};

}  // namespace

std::unique_ptr<Family> make_vae_family(const ExperimentConfig& config, const Dataset& data,
                                        Generator& init) {
  return std::make_unique<VAEFamily>(config, data, init);
}

}  // namespace genlab
