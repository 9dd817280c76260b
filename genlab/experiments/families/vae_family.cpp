#include "genlab/experiments/families/vae_family.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/batched_eval.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/run/progress.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/models/vae/gradient_study.h"
#include "genlab/models/vae/gumbel.h"
#include "genlab/models/vae/vae.h"

namespace genlab {
namespace {

VAEOptions with_dims(VAEOptions o, int64_t dims) {
  o.dims = dims;
  return o;
}

// Held-out examples: the data set's own, or (generated data) a fixed draw of n from `rng`.
Tensor held_out(const Tensor& set, const Dataset& data, int64_t n, Generator rng) {
  if (set.defined() && set.size(0) > 0)
    return n > 0 ? slice(set, 0, 0, std::min(n, set.size(0))) : set;
  return data.draw(n > 0 ? n : 1000, rng);
}

class VAEFamily final : public Family {
 public:
  VAEFamily(const FamilyContext& c, Generator init)
      : v_(c.options<VAEFamilyOptions>()),
        context_(c),
        vae_(with_dims(v_.vae, c.data.dims()), init),
        step_(c.train_step(vae_.named_parameters())),
        estimator_(parse_estimator(v_.estimator)),
        baseline_(v_.baseline_decay) {
    comm_ = &c.communicator();
  }

  int64_t parameter_count() const override { return vae_.num_parameters(); }
  std::string describe() const override {
    return "vae (" + name_of(v_.vae.latent) + " latents, " + v_.estimator + ", " +
           std::to_string(vae_.num_parameters()) + " parameters)";
  }
  Step train_step(const Batch& b, Generator& noise, float lr) override {
    const Tensor& batch = b.x;
    const double warm = v_.kl_warmup_steps > 0
                            ? std::min(1.0, double(steps_ + 1) / double(v_.kl_warmup_steps))
                            : 1.0;
    const ObjectiveOptions o{.estimator = estimator_,
                             .tau = annealed_temperature(v_.tau, v_.tau_min, v_.tau_rate, steps_),
                             .beta = v_.beta * warm,
                             .baseline = baseline_.value(),
                             .samples = 1};
    const auto terms = vae_.objective(batch, o, noise);
    // Reported as the global batch's means: reconstruction, KL, and REINFORCE's mean f.
    const auto r = step_.run(terms.loss, sharded_step(*comm_, b), lr,
                             {mean(terms.reconstruction).item(), mean(terms.kl).item(), terms.mean_f});
    if (estimator_ == Estimator::reinforce_baseline) baseline_.update(r.means[2]);
    ++steps_;
    // The loss column is the negative ELBO (beta = 1), whatever the training weights.
    return {-(r.means[0] - r.means[1]), r.grad_norm};
  }

  // No weight averaging in this family: /model/ema holds the same weights.
  NamedTensorMap weights() const override { return vae_.state_dict(); }
  void load_sampling_weights(const NamedTensorMap& w) override { vae_.load_state_dict(w); }

  TrainingState save() const override {
    std::ostringstream b;
    b.precision(17);
    b << baseline_.value();
    TrainingState s{{{"params", vae_.state_dict()}},
                    {{"family_steps", std::to_string(steps_)},
                     {"baseline", b.str()},
                     {"baseline_started", baseline_.started() ? "1" : "0"}}};
    save_optimizer(step_.optimizer(), s);
    return s;
  }
  void load(const TrainingState& s) override {
    vae_.load_state_dict(state_group(s, "params"));
    load_optimizer(step_.optimizer(), s);
    steps_ = state_count(s, "family_steps");
    baseline_.load(std::stod(state_attr(s, "baseline")), state_attr(s, "baseline_started") == "1");
  }

  std::map<std::string, double> evaluate(const Dataset& data) override {
    const Tensor v = held_out(data.validation(), data, 2000, context_.stream("held_out_validation"));
    Generator rng = context_.stream("validation");
    const double neg_elbo = -mean_in_batches(v, [&](const Tensor& b) { return vae_.elbo(b, rng); });
    std::map<std::string, double> row{{"validation_neg_elbo", neg_elbo}};
    if (vae_.categorical())
      row["tau"] = annealed_temperature(v_.tau, v_.tau_min, v_.tau_rate, steps_);
    return row;
  }

  void finish(RunFile& file, const Dataset& data, std::ostream& out) override {
    Generator rng = context_.stream("final");
    const Tensor test = held_out(data.test(), data, 0, context_.stream("held_out_test"));
    const double neg_elbo = -mean_in_batches(
        test, [&](const Tensor& b) { return vae_.elbo(b, rng); }, &out, "test -ELBO");
    const Tensor iwae_set = v_.iwae_examples > 0 && v_.iwae_examples < test.size(0)
                                ? slice(test, 0, 0, v_.iwae_examples)
                                : test;
    const double nll = -mean_in_batches(
        iwae_set, [&](const Tensor& b) { return vae_.iwae(b, v_.iwae_k, rng); }, &out,
        "IWAE (k = " + std::to_string(v_.iwae_k) + ")", iwae_batch(v_.iwae_k));
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
    if (v_.estimator_study.enabled) run_study(file, test, rng, out);
  }

 private:
  const Communicator* comm_ = &single_process();  // data parallelism (issue 16)
  // IWAE's batch: its k importance samples per example make a batch of examples x k
  // decoder rows; about 50k rows at a time keeps progress lines coming on big k.
  static int64_t iwae_batch(int64_t k) { return std::clamp<int64_t>(50000 / std::max<int64_t>(k, 1), 1, 500); }
  template <class Fn>
  double mean_in_batches(const Tensor& x, Fn&& per_example, std::ostream* out = nullptr,
                         const std::string& what = "", int64_t bs = 500) {
    const int64_t n = x.size(0);
    std::ostringstream quiet;
    Progress line(out ? *out : quiet, what, static_cast<double>(n), "example");
    const double total = sum_over_batches(
        n, bs, [&](int64_t begin, int64_t end) { return sum(per_example(slice(x, 0, begin, end))).item(); },
        [&](int64_t done) { line.update(static_cast<double>(done)); });
    line.finish(std::to_string(n) + " examples in " + format_duration(line.seconds()));
    return total / n;
  }

  void run_study(RunFile& file, const Tensor& examples, Generator& rng, std::ostream& out) {
    const auto& s = v_.estimator_study;
    GradientStudyOptions o = s.study;
    o.tau = annealed_temperature(v_.tau, v_.tau_min, v_.tau_rate, steps_);
    o.baseline_decay = v_.baseline_decay;
    for (const auto& name : s.estimators.empty() ? estimator_names() : s.estimators) {
      const Estimator e = parse_estimator(name);
      if (estimator_fits_latent(e, vae_.categorical())) o.estimators.push_back(e);
    }
    const Tensor x = slice(examples, 0, 0, std::min(s.batch, examples.size(0)));
    Progress line(out, "estimator study", 0, "estimate");
    o.progress = [&](int64_t done, int64_t total) {
      line.update(static_cast<double>(done), static_cast<double>(done) / static_cast<double>(total));
    };
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
                          {"repeats", std::to_string(o.repeats)},
                          {"samples", std::to_string(o.samples)},
                          {"tau", tau.str()}});
  }

  VAEFamilyOptions v_;
  FamilyContext context_;
  VAE vae_;
  TrainStep step_;
  Estimator estimator_;
  MovingAverageBaseline baseline_;
  int64_t steps_ = 0;
};

}  // namespace

FamilySpec vae_family_spec() {
  FamilySpec spec{"vae", "VAE with Gaussian or categorical latents: ELBO, IWAE, estimator study",
                  ChosenOptions::of(VAEFamilyOptions{}), nullptr,
                  [](const FamilyContext& c) -> std::unique_ptr<Family> {
                    return std::make_unique<VAEFamily>(c, c.stream("init"));
                  }};
  spec.smoke = [](const ChosenOptions& options) {  // IWAE and the estimator study at small sizes
    const auto& o = options.as<VAEFamilyOptions>();
    std::vector<std::string> out;
    cap_override(out, "model.samples", o.samples, 16);
    cap_override(out, "model.iwae_k", o.iwae_k, 20);
    cap_override(out, "model.iwae_examples", o.iwae_examples, 50, true);
    cap_override(out, "model.estimator_study.repeats", o.estimator_study.study.repeats, 10);
    cap_override(out, "model.estimator_study.reference_samples",
                 o.estimator_study.study.reference_samples, 100);
    return out;
  };
  return spec;
}

}  // namespace genlab
