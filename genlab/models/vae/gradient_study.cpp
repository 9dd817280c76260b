#include "genlab/models/vae/gradient_study.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "genlab/core/options.h"
#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/models/vae/gumbel.h"

namespace genlab {
namespace {

using Vec = std::vector<double>;

Vec flat_gradient(const Tensor& objective, const std::vector<Tensor>& params) {
  const auto grads = grad({objective}, params);
  Vec out;
  for (const Tensor& g : grads)
    for (float v : g.to_vector()) out.push_back(v);
  return out;
}

double sq_dist(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

double norm(const Vec& a) {
  return std::sqrt(sq_dist(a, Vec(a.size(), 0.0)));
}

// Mean and trace of the covariance of a set of vectors.
struct Moments {
  Vec mean;
  double variance = 0;
};

Moments moments(const std::vector<Vec>& draws) {
  Moments m{Vec(draws.at(0).size(), 0.0), 0.0};
  for (const Vec& d : draws)
    for (size_t i = 0; i < d.size(); ++i) m.mean[i] += d[i] / static_cast<double>(draws.size());
  for (const Vec& d : draws) m.variance += sq_dist(d, m.mean);
  m.variance /= std::max<double>(1, static_cast<double>(draws.size()) - 1);
  return m;
}

// One chunk of the reference: `draws` samples per example. Gaussian: reparameterization.
// Categorical: REINFORCE, each draw's baseline the mean f of the other draws of its
// example (leave-one-out, so independent of the draw: unbiased).
Vec reference_chunk(const VAE& vae, const Tensor& x, int64_t draws, Generator& rng) {
  const auto params = vae.encoder_parameters();
  if (!vae.categorical()) {
    const auto t = vae.objective(
        x, {.estimator = Estimator::reparameterization, .beta = 0.0, .samples = draws}, rng);
    return flat_gradient(-t.loss, params);
  }
  const int64_t b = x.size(0);
  const Posterior q = vae.encode(x);
  Posterior qs{.mean = {}, .log_var = {}, .logits = repeat_rows(q.logits, draws)};
  const Tensor z = vae.draw_exact(qs, rng);
  Tensor f;
  {
    NoGradGuard no_grad;
    f = vae.log_likelihood(repeat_rows(x, draws), vae.decode(z));
  }
  const auto fv = f.to_vector();  // row s * b + e
  std::vector<double> total(static_cast<size_t>(b), 0.0);
  for (int64_t r = 0; r < draws * b; ++r)
    total[static_cast<size_t>(r % b)] += fv[static_cast<size_t>(r)];
  std::vector<float> advantage(fv.size());
  for (int64_t r = 0; r < draws * b; ++r) {
    const double others =
        (total[static_cast<size_t>(r % b)] - fv[static_cast<size_t>(r)]) / double(draws - 1);
    advantage[static_cast<size_t>(r)] = static_cast<float>(fv[static_cast<size_t>(r)] - others);
  }
  const Tensor surrogate = mean(Tensor::from_vector(advantage, {draws * b}) * vae.log_q(qs, z));
  return flat_gradient(surrogate, params);
}

}  // namespace

GradientStudy study_gradient_estimators(const VAE& vae, const Tensor& x,
                                        const GradientStudyOptions& o, Generator& rng) {
  if (o.repeats < 2 || o.samples < 1 || o.reference_samples < 2)
    throw std::invalid_argument(
        "gradient study: repeats >= 2, samples >= 1 and reference_samples >= 2 are needed");
  for (Estimator e : o.estimators)
    if (!estimator_fits_latent(e, vae.categorical()))
      throw std::invalid_argument("gradient study: " + estimator_name(e) + " does not apply to " +
                                  name_of(vae.options().latent) + " latents");
  GradientStudy study;
  const auto params = vae.encoder_parameters();

  // The reference, in chunks; the spread of the chunk means gives its standard error.
  const int64_t chunk = std::max<int64_t>(
      2, std::min(o.reference_samples, o.max_rows / std::max<int64_t>(1, x.size(0))));
  std::vector<Vec> chunks;
  const int64_t n_chunks = (o.reference_samples + chunk - 1) / chunk;
  const int64_t work = n_chunks + static_cast<int64_t>(o.estimators.size()) * o.repeats;
  int64_t done = 0;
  auto progress = [&] {
    if (o.progress) o.progress(++done, work);
  };
  for (int64_t i = 0; i < n_chunks; ++i) {
    chunks.push_back(reference_chunk(vae, x, chunk, rng));
    progress();
  }
  const Moments ref = moments(chunks);
  study.reference =
      (vae.categorical() ? "reinforce, leave-one-out baseline, " : "reparameterization, ") +
      std::to_string(n_chunks * chunk) + " draws per example";
  study.reference_norm = norm(ref.mean);
  study.reference_stderr =
      chunks.size() > 1 ? std::sqrt(ref.variance / static_cast<double>(chunks.size())) : 0.0;
  study.parameters = static_cast<int64_t>(ref.mean.size());

  for (Estimator e : o.estimators) {
    MovingAverageBaseline baseline(o.baseline_decay);
    ObjectiveOptions oo{
        .estimator = e, .tau = o.tau, .beta = 0.0, .baseline = 0.0, .samples = o.samples};
    if (e == Estimator::reinforce_baseline)
      for (int64_t i = 0; i < o.baseline_warmup; ++i) {
        NoGradGuard no_grad;
        baseline.update(vae.objective(x, oo, rng).mean_f);
      }
    std::vector<Vec> draws;
    const auto start = std::chrono::steady_clock::now();
    for (int64_t r = 0; r < o.repeats; ++r) {
      if (e == Estimator::reinforce_baseline) oo.baseline = baseline.value();
      const auto t = vae.objective(x, oo, rng);
      draws.push_back(flat_gradient(-t.loss, params));
      if (e == Estimator::reinforce_baseline) baseline.update(t.mean_f);
      progress();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Moments m = moments(draws);
    GradientStudyRow row;
    row.estimator = estimator_name(e);
    row.variance = m.variance;
    row.relative_std = std::sqrt(m.variance) / study.reference_norm;
    row.bias = std::sqrt(sq_dist(m.mean, ref.mean));
    row.bias_noise = std::sqrt(m.variance / static_cast<double>(o.repeats) +
                               study.reference_stderr * study.reference_stderr);
    row.relative_bias = row.bias / study.reference_norm;
    double dot = 0;
    for (size_t i = 0; i < m.mean.size(); ++i) dot += m.mean[i] * ref.mean[i];
    row.cosine = dot / (norm(m.mean) * study.reference_norm);
    row.seconds = seconds / static_cast<double>(o.repeats);
    study.rows.push_back(row);
  }
  return study;
}

}  // namespace genlab
