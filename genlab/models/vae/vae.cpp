#include "genlab/models/vae/vae.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/core/options.h"
#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/models/vae/gumbel.h"

namespace genlab {

Tensor repeat_rows(const Tensor& x, int64_t times) {
  if (times == 1) return x;
  const int64_t b = x.size(0);
  std::vector<int32_t> idx(static_cast<size_t>(b * times));
  for (int64_t i = 0; i < b * times; ++i) idx[static_cast<size_t>(i)] = static_cast<int32_t>(i % b);
  return index_select(x, 0, Tensor::from_indices(idx, {b * times}, x.device()));
}

VAE::VAE(const VAEOptions& o, Generator& init) : o_(o) {
  if (o.dims < 1 || o.latent_dim < 1 || o.hidden < 1 || o.depth < 0)
    throw std::invalid_argument("VAE: dims, latent_dim and hidden must be >= 1, depth >= 0");
  if (categorical() && o.categories < 2)
    throw std::invalid_argument("VAE: categorical latents need categories >= 2");
  if (o.likelihood != "bernoulli" && o.likelihood != "gaussian")
    throw std::invalid_argument("VAE: likelihood must be bernoulli or gaussian, got '" +
                                o.likelihood + "'");
  const int64_t q_width = categorical() ? latent_size() : 2 * o.latent_dim;
  encoder_ =
      register_module("encoder", std::make_shared<MLP>(MLPOptions{.in = o.dims,
                                                                  .out = q_width,
                                                                  .width = o.hidden,
                                                                  .depth = o.depth,
                                                                  .activation = o.activation},
                                                       init));
  decoder_ =
      register_module("decoder", std::make_shared<MLP>(MLPOptions{.in = latent_size(),
                                                                  .out = o.dims,
                                                                  .width = o.hidden,
                                                                  .depth = o.depth,
                                                                  .activation = o.activation},
                                                       init));
  if (o.likelihood == "gaussian") {
    const Tensor lv = Tensor::full({o.dims}, static_cast<float>(o.log_variance));
    log_variance_ = o.learn_variance ? register_parameter("log_variance", lv)
                                     : register_buffer("log_variance", lv);
  }
}

int64_t VAE::latent_size() const {
  return categorical() ? o_.latent_dim * o_.categories : o_.latent_dim;
}

Posterior VAE::encode(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != o_.dims)
    throw std::invalid_argument("VAE: x must be [batch, " + std::to_string(o_.dims) + "], got " +
                                shape_str(x.shape()));
  const Tensor h = encoder_->forward(x);
  if (categorical())
    return {
        .mean = {}, .log_var = {}, .logits = reshape(h, {x.size(0), o_.latent_dim, o_.categories})};
  return {.mean = slice(h, 1, 0, o_.latent_dim),
          .log_var = slice(h, 1, o_.latent_dim, 2 * o_.latent_dim),
          .logits = {}};
}

Tensor VAE::decode(const Tensor& z) const {
  return decoder_->forward(z);
}

Tensor VAE::log_likelihood(const Tensor& x, const Tensor& decoded) const {
  if (o_.likelihood == "bernoulli") return -sum(bce_with_logits(decoded, x, Reduction::none), {1});
  return gaussian_log_density(x, decoded, broadcast_to(log_variance_, x.shape()));
}

Tensor VAE::mean_of(const Tensor& decoded) const {
  return o_.likelihood == "bernoulli" ? sigmoid(decoded) : decoded;
}

Tensor VAE::kl(const Posterior& q) const {
  return categorical() ? categorical_kl_to_uniform(q.logits)
                       : gaussian_kl_to_standard(q.mean, q.log_var);
}

Tensor VAE::log_q(const Posterior& q, const Tensor& z) const {
  if (!categorical()) return gaussian_log_density(z, q.mean, q.log_var);
  const Tensor log_p = reshape(log_softmax(q.logits, 2), {z.size(0), latent_size()});
  return sum(z * log_p, {1});
}

Tensor VAE::log_prior(const Tensor& z) const {
  if (categorical())
    return Tensor::full({z.size(0)},
                        static_cast<float>(-o_.latent_dim * std::log(double(o_.categories))));
  return gaussian_log_density(z, Tensor::zeros({1, z.size(1)}), Tensor::zeros({1, z.size(1)}));
}

Tensor VAE::draw(const Posterior& q, Estimator e, double tau, Generator& rng) const {
  if (!estimator_fits_latent(e, categorical()))
    throw std::invalid_argument("VAE: the " + estimator_name(e) + " estimator does not apply to " +
                                name_of(o_.latent) + " latents");
  if (!categorical()) {
    const Tensor eps = rng.normal(q.mean.shape());
    const Tensor z = q.mean + exp(mul_scalar(q.log_var, 0.5f)) * eps;
    return is_reinforce(e) ? z.detach() : z;
  }
  const int64_t b = q.logits.size(0);
  const Tensor g = rng.gumbel(q.logits.shape());
  Tensor y;
  if (is_reinforce(e))
    y = hard_one_hot(q.logits.detach() + g);  // Gumbel-max: an exact categorical draw
  else
    y = gumbel_softmax(q.logits, static_cast<float>(tau), e == Estimator::gumbel_st, g);
  return reshape(y, {b, latent_size()});
}

Tensor VAE::draw_exact(const Posterior& q, Generator& rng) const {
  // REINFORCE's draw is the exact one: a detached Gaussian sample, or Gumbel-max.
  return draw(q, Estimator::reinforce, 1.0, rng);
}

Posterior VAE::repeat(const Posterior& q, int64_t times) const {
  if (categorical()) return {.mean = {}, .log_var = {}, .logits = repeat_rows(q.logits, times)};
  return {
      .mean = repeat_rows(q.mean, times), .log_var = repeat_rows(q.log_var, times), .logits = {}};
}

ObjectiveTerms VAE::objective(const Tensor& x, const ObjectiveOptions& o, Generator& rng) const {
  if (o.samples < 1) throw std::invalid_argument("VAE: samples must be >= 1");
  const int64_t b = x.size(0);
  const Posterior q = encode(x);
  const Tensor kl_term = kl(q);
  // The encoder runs once; its outputs are repeated for the draws (sample-major rows).
  const Posterior qs = repeat(q, o.samples);
  const Tensor xs = repeat_rows(x, o.samples);
  const Tensor z = draw(qs, o.estimator, o.tau, rng);
  const Tensor f = log_likelihood(xs, decode(z));  // [S B]
  const Tensor recon_value = mean(reshape(f.detach(), {o.samples, b}), {0});
  const Tensor recon_surrogate =
      is_reinforce(o.estimator) ? reinforce_surrogate(f, log_q(qs, z), o.baseline) : mean(f);
  const Tensor loss = mul_scalar(mean(kl_term), static_cast<float>(o.beta)) - recon_surrogate;
  return {.loss = loss,
          .reconstruction = recon_value,
          .kl = kl_term.detach(),
          .mean_f = mean(f.detach()).item()};
}

Tensor VAE::elbo(const Tensor& x, Generator& rng) const {
  NoGradGuard no_grad;
  const Posterior q = encode(x);
  return log_likelihood(x, decode(draw_exact(q, rng))) - kl(q);
}

Tensor VAE::iwae(const Tensor& x, int64_t k, Generator& rng, int64_t max_rows) const {
  if (k < 1) throw std::invalid_argument("VAE: iwae needs k >= 1");
  NoGradGuard no_grad;
  const int64_t n = x.size(0), block = std::min<int64_t>(n, 256);
  std::vector<Tensor> bounds;
  for (int64_t i0 = 0; i0 < n; i0 += block) {
    const Tensor xb = slice(x, 0, i0, std::min(n, i0 + block));
    const int64_t be = xb.size(0), chunk = std::max<int64_t>(1, max_rows / be);
    const Posterior q = encode(xb);
    std::vector<Tensor> log_w;  // [draws, be] pieces
    for (int64_t s0 = 0; s0 < k; s0 += chunk) {
      const int64_t cs = std::min(chunk, k - s0);
      const Posterior qs = repeat(q, cs);
      const Tensor z = draw_exact(qs, rng);
      const Tensor w = log_likelihood(repeat_rows(xb, cs), decode(z)) + log_prior(z) - log_q(qs, z);
      log_w.push_back(reshape(w, {cs, be}));
    }
    // log (1/k) sum_i w_i, stable whatever the scale of log w.
    bounds.push_back(add_scalar(logsumexp(concat(log_w, 0), 0),
                                static_cast<float>(-std::log(static_cast<double>(k)))));
  }
  return concat(bounds, 0);
}

Tensor VAE::sample(int64_t n, Generator& rng) const {
  NoGradGuard no_grad;
  Tensor z;
  if (categorical()) {
    const Tensor uniform_logits = Tensor::zeros({n, o_.latent_dim, o_.categories});
    z = reshape(hard_one_hot(uniform_logits + rng.gumbel(uniform_logits.shape())),
                {n, latent_size()});
  } else {
    z = rng.normal({n, o_.latent_dim});
  }
  return mean_of(decode(z));
}

Tensor VAE::reconstruct(const Tensor& x) const {
  NoGradGuard no_grad;
  const Posterior q = encode(x);
  const Tensor z =
      categorical() ? reshape(hard_one_hot(q.logits), {x.size(0), latent_size()}) : q.mean;
  return mean_of(decode(z));
}

}  // namespace genlab
