// The VAE family: Gaussian or categorical (Gumbel-Softmax, REINFORCE) latents, trained on
// the beta-weighted negative ELBO with KL warm-up and tau annealing; validation -ELBO at
// each evaluation; at the end the test -ELBO, IWAE NLL, samples and reconstructions, and
// optionally the gradient-estimator study. Its `model:` keys are the library's VAEOptions
// plus the training objective's and the study's.
#pragma once

#include "genlab/experiments/config/schema.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/vae/estimators.h"
#include "genlab/models/vae/gradient_study.h"
#include "genlab/models/vae/vae.h"

namespace genlab {

struct EstimatorStudySettings {
  bool enabled = false;
  std::vector<std::string> estimators;  // empty: every one that fits the latent
  int64_t batch = 16;                   // test (or held-out) examples the objective averages over
  GradientStudyOptions study;           // repeats, samples, reference_samples (tau from the run)
};

struct VAEFamilyOptions {
  // dims comes from the data; likelihood "" follows it (bernoulli for images, else gaussian)
  VAEOptions vae = [] {
    VAEOptions o;
    o.likelihood = "";
    return o;
  }();
  std::string estimator;  // "": reparameterization (gaussian), gumbel_st (categorical)
  double beta = 1.0;
  int64_t kl_warmup_steps = 0;
  double tau = 1.0, tau_min = 0.5, tau_rate = 0.0;
  double baseline_decay = 0.99;
  int64_t samples = 64;
  int64_t reconstructions = 16;
  int64_t iwae_k = 1000;
  int64_t iwae_examples = 1000;
  EstimatorStudySettings estimator_study;
};

template <class V>
void fields(V& v, EstimatorStudySettings& s) {
  v.field("enabled", s.enabled, "run the gradient-estimator study after training");
  v.field("estimators", s.estimators, "estimators to compare (empty: every one that fits)",
          one_of(estimator_names()));
  v.field("repeats", s.study.repeats, "estimates per estimator", at_least(2));
  v.field("samples", s.study.samples, "latent draws per example in one estimate", at_least(1));
  v.field("reference_samples", s.study.reference_samples, "draws per example of the reference",
          at_least(2));
  v.field("batch", s.batch, "examples the objective averages over", at_least(1));
}

template <class V>
void fields(V& v, VAEFamilyOptions& o) {
  auto& m = o.vae;
  if constexpr (V::reading)
    if (m.likelihood.empty())  // the default follows the data
      m.likelihood = is_image_data(data_of(v.context()).name) &&
                             !is_continuous_image_data(data_of(v.context()))
                         ? "bernoulli"
                         : "gaussian";
  v.field("latent", m.latent, "latent type");
  const bool cat = m.latent == LatentKind::categorical;
  v.field("latent_dim", m.latent_dim, "gaussian: dimensions; categorical: variables",
          between(1, 100000));
  v.field("categories", m.categories, "categorical: classes per variable", between(2, 100000));
  v.field("hidden", m.hidden, "encoder and decoder width", between(1, 100000));
  v.field("depth", m.depth, "hidden layers (0: affine maps)", between(0, 100));
  v.field("activation", m.activation, "activation", one_of(activation_names()));
  v.field("likelihood", m.likelihood, "p(x | z)",
          one_of({"bernoulli", "gaussian"}).or_auto("bernoulli for image data, else gaussian"));
  v.field("learn_variance", m.learn_variance, "gaussian likelihood: learned per dimension");
  v.field("log_variance", m.log_variance, "gaussian likelihood: fixed (or initial) log variance",
          between(-30, 30));
  if constexpr (V::reading)
    if (o.estimator.empty()) o.estimator = cat ? "gumbel_st" : "reparameterization";
  v.field("estimator", o.estimator, "gradient estimator",
          one_of(estimator_names()).or_auto("reparameterization (gaussian), gumbel_st (categorical)"));
  if constexpr (V::reading)
    v.check(estimator_fits_latent(parse_estimator(o.estimator), cat), "estimator",
            "'" + o.estimator + "' does not apply to " + name_of(m.latent) + " latents (" +
                (cat ? "use gumbel_soft, gumbel_st, reinforce or reinforce_baseline"
                     : "use reparameterization, reinforce or reinforce_baseline") +
                ")");
  v.field("beta", o.beta, "KL weight (beta-VAE)", between(0, 1e6));
  v.field("kl_warmup_steps", o.kl_warmup_steps, "beta ramps linearly from 0 over these steps",
          at_least(0));
  v.field("tau", o.tau, "Gumbel-Softmax temperature: max(tau_min, tau exp(-tau_rate step))",
          between(0, 1e6, "(]"));
  v.field("tau_min", o.tau_min, "see tau", above(0));
  v.check(o.tau_min <= o.tau, "tau_min", "must be in (0, tau]");
  v.field("tau_rate", o.tau_rate, "see tau", at_least(0));
  v.field("baseline_decay", o.baseline_decay, "reinforce_baseline: moving-average decay",
          between(0, 1, "[)"));
  v.field("samples", o.samples, "images sampled into /samples/images", between(0, 100000));
  v.field("reconstructions", o.reconstructions, "test images reconstructed into /samples",
          between(0, 10000));
  v.field("iwae_k", o.iwae_k, "importance samples of the IWAE bound", between(1, 1000000));
  v.field("iwae_examples", o.iwae_examples, "test examples for IWAE",
          at_least(0).with_note("0: the whole test set"));
  v.section("estimator_study", o.estimator_study, "the gradient-estimator study");
  if constexpr (V::reading)
    for (const auto& e : o.estimator_study.estimators)
      v.check(estimator_fits_latent(parse_estimator(e), cat), "estimator_study",
              "estimators: '" + e + "' does not apply to " + name_of(m.latent) + " latents");
}

}  // namespace genlab
