// Variational autoencoder (Kingma & Welling 2014; docs/MATH.md section 3) with MLP encoder
// and decoder: Gaussian latents (reparameterized, closed-form KL to N(0, I)) or
// categorical latents (Gumbel-Softmax or REINFORCE, closed-form KL to the uniform
// prior), and a Bernoulli (binary data) or Gaussian (continuous data, learned or fixed
// per-dimension variance) likelihood. Evaluation: the ELBO and the IWAE bound with k
// importance samples (Burda et al. 2016), computed in chunks with log-sum-exp.
//
//   VAE vae(VAEOptions{.dims = 784}, init);
//   auto terms = vae.objective(x, {.estimator = Estimator::reparameterization}, rng);
//   terms.loss.backward();                       // -ELBO per example (beta-weighted KL)
//   Tensor lk = vae.iwae(x_test, 5000, rng);     // [B], nats, <= log p(x)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/layers.h"
#include "genlab/core/rng.h"
#include "genlab/models/vae/estimators.h"

namespace genlab {

// The latent: a diagonal Gaussian, or latent_dim categorical variables of `categories`.
enum class LatentKind { gaussian, categorical };
inline const std::vector<std::string>& names_of(LatentKind) {
  static const std::vector<std::string> names{"gaussian", "categorical"};
  return names;
}

struct VAEOptions {
  int64_t dims = 784;
  LatentKind latent = LatentKind::gaussian;
  int64_t latent_dim = 20;          // gaussian: dimensions; categorical: variables
  int64_t categories = 10;          // categorical: classes per variable
  int64_t hidden = 400;             // encoder and decoder: `depth` hidden layers this wide
  int64_t depth = 1;
  std::string activation = "relu";
  std::string likelihood = "bernoulli";  // bernoulli | gaussian
  bool learn_variance = true;            // gaussian likelihood: learned per dimension, or fixed
  double log_variance = 0.0;             // gaussian likelihood: the fixed (or initial) value
};

// q(z | x): mean and log-variance [B, Z] (Gaussian) or logits [B, N, K] (categorical).
struct Posterior {
  Tensor mean, log_var, logits;
};

struct ObjectiveOptions {
  Estimator estimator = Estimator::reparameterization;
  double tau = 1.0;       // Gumbel-Softmax temperature
  double beta = 1.0;      // KL weight (beta-VAE, warm-up)
  double baseline = 0.0;  // REINFORCE's control variate
  int64_t samples = 1;    // latent draws per example, averaged
};

struct ObjectiveTerms {
  Tensor loss;            // scalar to minimize: -(reconstruction - beta KL), mean per example
  Tensor reconstruction;  // E_q log p(x|z) estimate per example, [B] (values only)
  Tensor kl;              // closed form, [B]
  double mean_f = 0;      // mean log p(x|z) over all draws (REINFORCE's baseline update)
};

class VAE : public Module {
 public:
  VAE(const VAEOptions& options, Generator& init);
  const VAEOptions& options() const { return o_; }
  bool categorical() const { return o_.latent == LatentKind::categorical; }
  int64_t latent_size() const;  // the width of z: latent_dim, or latent_dim * categories

  Posterior encode(const Tensor& x) const;
  // The decoder's output for z [B, latent_size]: logits (Bernoulli) or means (Gaussian).
  Tensor decode(const Tensor& z) const;
  Tensor log_likelihood(const Tensor& x, const Tensor& decoded) const;  // log p(x|z), [B]
  Tensor mean_of(const Tensor& decoded) const;              // E[x | z]: sigmoid(logits) or the mean
  Tensor kl(const Posterior& q) const;                      // KL(q(z|x) || p(z)), [B]
  Tensor log_q(const Posterior& q, const Tensor& z) const;  // [B]
  Tensor log_prior(const Tensor& z) const;                  // [B]
  // z ~ q with the estimator's gradient path (none for REINFORCE; categorical draws are
  // flattened one-hot or relaxed vectors, [B, N * K]).
  Tensor draw(const Posterior& q, Estimator estimator, double tau, Generator& rng) const;
  // An exact draw z ~ q with no gradient path (evaluation, REINFORCE references).
  Tensor draw_exact(const Posterior& q, Generator& rng) const;

  // The ELBO's surrogate loss for one batch under an estimator.
  ObjectiveTerms objective(const Tensor& x, const ObjectiveOptions& o, Generator& rng) const;
  // No-grad evaluation, [B] nats: the ELBO with one exact latent draw and the closed-form
  // KL, and the IWAE bound L_k; at most max_rows decoder rows at a time.
  Tensor elbo(const Tensor& x, Generator& rng) const;
  Tensor iwae(const Tensor& x, int64_t k, Generator& rng, int64_t max_rows = 16384) const;

  Tensor sample(int64_t n, Generator& rng) const;  // E[x | z], z ~ p(z): [n, dims]
  Tensor reconstruct(const Tensor& x) const;       // E[x | z] at q's mode

  std::vector<Tensor> encoder_parameters() const { return encoder_->parameters(); }

 private:
  Posterior repeat(const Posterior& q, int64_t times) const;
  VAEOptions o_;
  std::shared_ptr<MLP> encoder_, decoder_;
  Tensor log_variance_;  // Gaussian likelihood, [dims]
};

// Rows of x repeated `times` times, sample-major: row s * B + b is x[b].
Tensor repeat_rows(const Tensor& x, int64_t times);

}  // namespace genlab
