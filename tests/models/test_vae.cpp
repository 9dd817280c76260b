// The VAE family's math: closed-form KLs against Monte Carlo, the ELBO <= IWAE_k <=
// log p(x) chain on a linear-Gaussian model with an exact marginal, Gumbel-Softmax's
// argmax frequencies and straight-through gradient, REINFORCE's unbiasedness and the
// baseline's variance reduction on toy objectives with closed-form gradients, the
// estimator study, and short training runs.
#include "genlab/core/options.h"
#include "genlab/core/eigen_dense.h"
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/models/vae/estimators.h"
#include "genlab/models/vae/gradient_study.h"
#include "genlab/models/vae/gumbel.h"
#include "genlab/models/vae/vae.h"
#include "tests/core/gradcheck.h"

using namespace genlab;

namespace {

double mean_of(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / static_cast<double>(v.size());
}

double stderr_of(const std::vector<float>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
}

}  // namespace

TEST_CASE("closed-form KLs agree with Monte Carlo estimates", "[vae]") {
  Generator rng(1);
  // Gaussian: KL = E_q[log q(z) - log p(z)], 200k draws of one 4-D posterior.
  const int64_t n = 200000;
  const Tensor mu = broadcast_to(Tensor::from_vector({0.5f, -1.2f, 0.0f, 2.0f}, {1, 4}), {n, 4});
  const Tensor lv = broadcast_to(Tensor::from_vector({0.0f, -1.0f, 0.7f, -2.5f}, {1, 4}), {n, 4});
  const Tensor z = mu + exp(mul_scalar(lv, 0.5f)) * rng.normal({n, 4});
  const Tensor zeros = Tensor::zeros({n, 4});
  const auto log_ratio =
      (gaussian_log_density(z, mu, lv) - gaussian_log_density(z, zeros, zeros)).to_vector();
  const double closed = gaussian_kl_to_standard(slice(mu, 0, 0, 1), slice(lv, 0, 0, 1)).item();
  CHECK(std::abs(mean_of(log_ratio) - closed) < 4 * stderr_of(log_ratio));
  CHECK(closed == Approx(0.5 * (0.25 + 1.44 + 0 + 4 + std::exp(-1.0) + std::exp(0.7) +
                                std::exp(-2.5) + 1.0 - 0.7 + 2.5 + 1 - 4))
                      .epsilon(1e-5));
  // Categorical: 3 variables x 5 classes; KL = E_q[log q(z)] + 3 log 5.
  const Tensor logits = rng.normal({1, 3, 5}, 0.0f, 1.5f);
  const Tensor many = broadcast_to(logits, {n, 3, 5});
  const Tensor onehot = hard_one_hot(many + rng.gumbel(many.shape()));
  const Tensor log_q = sum(reshape(onehot * log_softmax(many, 2), {n, 15}), {1});
  const auto mc = (log_q + static_cast<float>(3 * std::log(5.0))).to_vector();
  const double closed_cat = categorical_kl_to_uniform(logits).item();
  CHECK(closed_cat > 0.1);
  CHECK(std::abs(mean_of(mc) - closed_cat) < 4 * stderr_of(mc));
  CHECK(categorical_kl_to_uniform(Tensor::zeros({2, 3, 5})).to_vector()[1] ==
        Approx(0).margin(1e-6));
}

TEST_CASE("finite-difference gradients of the KLs, the Gaussian density and Gumbel-Softmax",
          "[vae]") {
  using testing::gradcheck, testing::test_input;
  auto r =
      gradcheck([](const std::vector<Tensor>& in) { return gaussian_kl_to_standard(in[0], in[1]); },
                {test_input({3, 4}, 1), test_input({3, 4}, 2)});
  CHECK(r.ok);
  r = gradcheck(
      [](const std::vector<Tensor>& in) { return gaussian_log_density(in[0], in[1], in[2]); },
      {test_input({3, 4}, 3), test_input({3, 4}, 4), test_input({3, 4}, 5)});
  CHECK(r.ok);
  r = gradcheck([](const std::vector<Tensor>& in) { return categorical_kl_to_uniform(in[0]); },
                {test_input({2, 3, 4}, 6, -2, 2)});
  CHECK(r.ok);
  const Tensor noise = Generator(7).gumbel({2, 3, 4});
  r = gradcheck(
      [&](const std::vector<Tensor>& in) { return gumbel_softmax(in[0], 0.7f, false, noise); },
      {test_input({2, 3, 4}, 8)});
  CHECK(r.ok);
}

TEST_CASE("Gumbel-Softmax: argmax frequencies match the probabilities (chi-square)", "[vae]") {
  Generator rng(2);
  const std::vector<float> p{0.05f, 0.1f, 0.15f, 0.3f, 0.4f};
  std::vector<float> logp;
  for (float v : p) logp.push_back(std::log(v) + 3.0f);  // logits up to a constant
  const int64_t n = 50000;
  for (float tau : {0.3f, 1.0f, 5.0f}) {
    const Tensor logits = broadcast_to(Tensor::from_vector(logp, {1, 5}), {n, 5});
    const Tensor y = gumbel_softmax(logits, tau, /*hard=*/false, rng);
    const auto counts = sum(hard_one_hot(y), {0}).to_vector();
    double chi2 = 0;
    for (int k = 0; k < 5; ++k) chi2 += std::pow(counts[k] - n * p[k], 2) / (n * p[k]);
    // 4 degrees of freedom: P(chi2 > 18.47) = 0.001.
    CHECK(chi2 < 18.47);
  }
  // A mis-scaled noise (g / 2) changes the frequencies and fails the same test.
  const Tensor logits = broadcast_to(Tensor::from_vector(logp, {1, 5}), {n, 5});
  const auto counts =
      sum(hard_one_hot(logits + mul_scalar(rng.gumbel({n, 5}), 0.5f)), {0}).to_vector();
  double chi2 = 0;
  for (int k = 0; k < 5; ++k) chi2 += std::pow(counts[k] - n * p[k], 2) / (n * p[k]);
  CHECK(chi2 > 18.47);
}

TEST_CASE("straight-through: exactly one-hot forward, the soft sample's gradient", "[vae]") {
  Generator rng(3);
  Tensor logits = rng.normal({6, 4, 7});
  logits.requires_grad_();
  const Tensor noise = rng.gumbel(logits.shape());
  const Tensor hard = gumbel_softmax(logits, 0.5f, true, noise);
  const Tensor soft = gumbel_softmax(logits, 0.5f, false, noise);
  const auto hv = hard.to_vector();
  for (float v : hv) CHECK((v == 0.0f || v == 1.0f));
  for (float s : sum(hard, {2}).to_vector()) CHECK(s == 1.0f);
  // The one-hot marks the soft sample's largest entry.
  CHECK(max(abs(hard - hard_one_hot(soft)), {}).item() == 0.0f);
  const Tensor w = rng.normal(logits.shape());
  const auto g_hard = grad({sum(hard * w)}, {logits})[0].to_vector();
  const auto g_soft = grad({sum(soft * w)}, {logits})[0].to_vector();
  for (size_t i = 0; i < g_hard.size(); ++i) CHECK(g_hard[i] == g_soft[i]);
}

TEST_CASE("REINFORCE is unbiased on toy objectives, and a baseline lowers its variance", "[vae]") {
  Generator rng(4);
  const int64_t n = 200000;
  SECTION("categorical: d/dtheta E[c . z] = p (c - p . c)") {
    const std::vector<float> theta{0.3f, -0.5f, 1.0f, 0.0f}, c{10.0f, 11.0f, 9.5f, 10.5f};
    Tensor th = Tensor::from_vector(theta, {1, 4});
    th.requires_grad_();
    const Tensor logits = broadcast_to(th, {n, 4});
    const Tensor z = hard_one_hot(logits.detach() + rng.gumbel({n, 4}));
    const Tensor f = sum(z * Tensor::from_vector(c, {1, 4}), {1});
    const Tensor log_q = sum(z * log_softmax(logits, 1), {1});
    const auto p = softmax(Tensor::from_vector(theta, {1, 4}), 1).to_vector();
    double pc = 0;
    for (int k = 0; k < 4; ++k) pc += p[k] * c[k];
    // The estimate against the exact gradient, within 4 standard errors of its per-draw
    // components (f - b)(z_j - p_j).
    const auto fv = f.to_vector(), zv = z.to_vector();
    for (double b : {0.0, pc}) {
      const auto g =
          grad({sum(add_scalar(f, static_cast<float>(-b)) * log_q)}, {th})[0].to_vector();
      for (int j = 0; j < 4; ++j) {
        std::vector<float> comp(n);
        for (int64_t i = 0; i < n; ++i)
          comp[i] = static_cast<float>((fv[i] - b) * (zv[i * 4 + j] - p[j]));
        CHECK(g[j] / n == Approx(mean_of(comp)).epsilon(1e-3).margin(1e-4));
        CHECK(std::abs(g[j] / n - p[j] * (c[j] - pc)) < 4 * stderr_of(comp));
      }
    }
    // Variance of one draw's gradient without and with the baseline b = E f.
    auto variance = [&](double b) {
      double v = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int j = 0; j < 4; ++j) {
          const double e = (fv[i] - b) * (zv[i * 4 + j] - p[j]) - p[j] * (c[j] - pc);
          v += e * e / n;
        }
      return v;
    };
    CHECK(variance(pc) < 0.05 * variance(0.0));
  }
  SECTION("Gaussian: E[(z - t)^2] for z ~ N(mu, exp(lv)); reparameterization agrees") {
    Tensor mu = Tensor::from_vector({0.7f}, {1, 1}), lv = Tensor::from_vector({-0.4f}, {1, 1});
    mu.requires_grad_();
    lv.requires_grad_();
    const float t = 2.0f;
    const Tensor eps = rng.normal({n, 1});
    const Tensor z =
        broadcast_to(mu, {n, 1}) + exp(mul_scalar(broadcast_to(lv, {n, 1}), 0.5f)) * eps;
    const Tensor f_rep = sum(square(add_scalar(z, -t)), {1});
    // A constant offset (20) leaves the gradient alone and makes REINFORCE's noise large,
    // which a baseline at E f removes.
    const Tensor f = add_scalar(sum(square(add_scalar(z.detach(), -t)), {1}), 20.0f);
    const Tensor log_q =
        gaussian_log_density(z.detach(), broadcast_to(mu, {n, 1}), broadcast_to(lv, {n, 1}));
    // Exact: d/dmu = 2 (mu - t), d/dlv = exp(lv).
    const double dmu = 2 * (0.7 - t), dlv = std::exp(-0.4);
    const auto g_rep = grad({mean(f_rep)}, {mu, lv});
    CHECK(g_rep[0].item() == Approx(dmu).margin(0.02));
    CHECK(g_rep[1].item() == Approx(dlv).margin(0.02));
    std::vector<double> spread;
    for (double b : {0.0, 22.36}) {  // E f = 20 + (mu - t)^2 + exp(lv) = 20 + 1.69 + 0.67
      const auto g = grad({reinforce_surrogate(f, log_q, b)}, {mu, lv});
      const auto fv = f.to_vector(), ev = eps.to_vector();
      std::vector<float> cmu(n), clv(n);
      const double sd = std::exp(-0.2);
      for (int64_t i = 0; i < n; ++i) {
        cmu[i] = static_cast<float>((fv[i] - b) * ev[i] / sd);                 // d log q / d mu
        clv[i] = static_cast<float>((fv[i] - b) * 0.5 * (ev[i] * ev[i] - 1));  // d log q / d lv
      }
      CHECK(std::abs(g[0].item() - dmu) < 4 * stderr_of(cmu));
      CHECK(std::abs(g[1].item() - dlv) < 4 * stderr_of(clv));
      spread.push_back(stderr_of(cmu) + stderr_of(clv));
    }
    CHECK(spread[1] < 0.2 * spread[0]);
  }
}

TEST_CASE("moving-average baseline: starts at the first mean, then averages", "[vae]") {
  MovingAverageBaseline b(0.9);
  CHECK(!b.started());
  b.update(10.0);
  CHECK(b.value() == 10.0);
  b.update(20.0);
  CHECK(b.value() == Approx(11.0));
  CHECK(annealed_temperature(1.0, 0.5, 1e-3, 0) == 1.0);
  CHECK(annealed_temperature(1.0, 0.5, 1e-3, 100) == Approx(std::exp(-0.1)));
  CHECK(annealed_temperature(1.0, 0.5, 1e-3, 100000) == 0.5);
  CHECK_THROWS_WITH(parse_estimator("reinforse"), Catch::Contains("allowed: reparameterization"));
}

namespace {

// A linear-Gaussian model as a VAE: p(z) = N(0, I), p(x|z) = N(W z + b, s2 I), so
// p(x) = N(b, W W^T + s2 I) exactly. The encoder is linear too, with the exact
// posterior mean and a diagonal variance inflated by `inflate` (so q != p(z|x)).
struct LinearGaussian {
  Eigen::MatrixXd w;
  Eigen::VectorXd b;
  double s2;
  Eigen::MatrixXd post_cov;  // (I + W^T W / s2)^-1
  Eigen::VectorXd q_var;     // diag(post_cov) * inflate
};

LinearGaussian linear_gaussian(VAE& vae, double inflate) {
  const int64_t d = vae.options().dims, zd = vae.options().latent_dim;
  LinearGaussian m;
  m.w = Eigen::MatrixXd(d, zd);
  m.b = Eigen::VectorXd(d);
  const auto wv = Generator(21).normal({d, zd}).to_vector();
  const auto bv = Generator(22).normal({d}).to_vector();
  for (int64_t i = 0; i < d; ++i) {
    m.b[i] = bv[i];
    for (int64_t j = 0; j < zd; ++j) m.w(i, j) = wv[i * zd + j];
  }
  m.s2 = std::exp(vae.options().log_variance);
  m.post_cov = (Eigen::MatrixXd::Identity(zd, zd) + m.w.transpose() * m.w / m.s2).inverse();
  m.q_var = m.post_cov.diagonal() * inflate;
  const Eigen::MatrixXd a = m.post_cov * m.w.transpose() / m.s2;  // mean = a (x - b)
  std::vector<float> enc_w(2 * zd * d, 0.0f), enc_b(2 * zd, 0.0f), dec_w(d * zd), dec_b(d);
  const Eigen::VectorXd ab = a * m.b;
  for (int64_t j = 0; j < zd; ++j) {
    for (int64_t i = 0; i < d; ++i) enc_w[j * d + i] = static_cast<float>(a(j, i));
    enc_b[j] = static_cast<float>(-ab[j]);
    enc_b[zd + j] = static_cast<float>(std::log(m.q_var[j]));
  }
  for (int64_t i = 0; i < d; ++i) {
    dec_b[i] = static_cast<float>(m.b[i]);
    for (int64_t j = 0; j < zd; ++j) dec_w[i * zd + j] = static_cast<float>(m.w(i, j));
  }
  auto state = vae.state_dict();
  state.at("encoder.layers.0.weight").copy_(Tensor::from_vector(enc_w, {2 * zd, d}));
  state.at("encoder.layers.0.bias").copy_(Tensor::from_vector(enc_b, {2 * zd}));
  state.at("decoder.layers.0.weight").copy_(Tensor::from_vector(dec_w, {d, zd}));
  state.at("decoder.layers.0.bias").copy_(Tensor::from_vector(dec_b, {d}));
  return m;
}

}  // namespace

TEST_CASE("linear-Gaussian model: ELBO <= IWAE_k <= log p(x), increasing in k, to log p(x)",
          "[vae]") {
  const int64_t d = 5, zd = 2, n = 1000;
  Generator init(20);
  VAE vae({.dims = d,
           .latent = LatentKind::gaussian,
           .latent_dim = zd,
           .hidden = 1,
           .depth = 0,
           .likelihood = "gaussian",
           .learn_variance = false,
           .log_variance = std::log(0.3)},
          init);
  const LinearGaussian m = linear_gaussian(vae, 4.0);
  // Data from p(x), and its exact log-density.
  const Eigen::MatrixXd cov = m.w * m.w.transpose() + m.s2 * Eigen::MatrixXd::Identity(d, d);
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  const Eigen::MatrixXd lower = llt.matrixL();
  const auto eps = Generator(23).normal({n, d}).to_vector();
  std::vector<float> xv(n * d);
  double log_p = 0;
  for (int64_t r = 0; r < n; ++r) {
    Eigen::VectorXd e(d);
    for (int64_t i = 0; i < d; ++i) e[i] = eps[r * d + i];
    const Eigen::VectorXd x = m.b + lower * e;
    for (int64_t i = 0; i < d; ++i) xv[r * d + i] = static_cast<float>(x[i]);
    const Eigen::VectorXd white = llt.matrixL().solve(x - m.b);
    log_p += (-0.5 * white.squaredNorm() - lower.diagonal().array().log().sum() -
              0.5 * d * std::log(2 * M_PI)) /
             n;
  }
  const Tensor x = Tensor::from_vector(xv, {n, d});
  Generator rng(24);
  // E[ELBO] = log p(x) - KL(q || p(z|x)); both Gaussians share the mean here.
  const Eigen::MatrixXd s = m.q_var.asDiagonal();
  const double kl_post = 0.5 * ((m.post_cov.inverse() * s).trace() - zd +
                                std::log(m.post_cov.determinant()) - std::log(s.determinant()));
  std::vector<float> elbos;
  for (int rep = 0; rep < 20; ++rep)
    for (float e : vae.elbo(x, rng).to_vector()) elbos.push_back(e);
  CHECK(kl_post > 0.05);
  CHECK(std::abs(mean_of(elbos) - (log_p - kl_post)) < 4 * stderr_of(elbos));
  std::vector<double> bounds;
  for (int64_t k : {1, 10, 100, 1000, 5000}) bounds.push_back(mean(vae.iwae(x, k, rng)).item());
  // L_1 is heavy-tailed with q this wide: its mean over 20 draws, against the ELBO.
  double l1 = 0;
  for (int r = 0; r < 20; ++r) l1 += mean(vae.iwae(x, 1, rng)).item() / 20;
  INFO("log p " << log_p << " ELBO " << mean_of(elbos) << " L_1 " << bounds[0] << " L_10 "
                << bounds[1] << " L_100 " << bounds[2] << " L_1000 " << bounds[3] << " L_5000 "
                << bounds[4]);
  CHECK(l1 == Approx(mean_of(elbos)).margin(0.1));  // L_1 is the ELBO in expectation
  // Increasing in k by more than the noise while the gap is large, then at log p(x).
  CHECK(bounds[1] > bounds[0] + 0.5);
  CHECK(bounds[2] > bounds[1] + 0.02);
  for (double b : bounds) CHECK(b < log_p + 0.003);
  CHECK(std::abs(bounds[3] - log_p) < 0.01);
  CHECK(std::abs(bounds[4] - log_p) < 0.003);
}

namespace {

// Binary data from 4 prototypes with 10% flipped bits, [n, 16].
Tensor prototype_data(int64_t n, Generator& rng) {
  const Tensor protos = rng.bernoulli(Tensor::full({4, 16}, 0.5f));
  std::vector<float> pick(static_cast<size_t>(n));
  const auto u = rng.uniform({n}).to_vector();
  for (int64_t i = 0; i < n; ++i) pick[i] = std::floor(u[i] * 4);
  const Tensor clean = index_select(protos, 0, Tensor::from_vector(pick, {n}).to_indices());
  const Tensor flip = rng.bernoulli(Tensor::full({n, 16}, 0.1f));
  return abs(clean - flip);
}

}  // namespace

TEST_CASE("estimator study: unbiased estimators agree with the reference, a baseline helps",
          "[vae]") {
  Generator rng(30);
  const Tensor x = prototype_data(8, rng);
  SECTION("categorical latents") {
    Generator init(31);
    const VAE vae({.dims = 16,
                   .latent = LatentKind::categorical,
                   .latent_dim = 3,
                   .categories = 4,
                   .hidden = 16,
                   .depth = 1},
                  init);
    const auto study = study_gradient_estimators(
        vae, x,
        {.estimators = {Estimator::gumbel_soft, Estimator::gumbel_st, Estimator::reinforce,
                        Estimator::reinforce_baseline},
         .repeats = 400,
         .reference_samples = 40000},
        rng);
    REQUIRE(study.rows.size() == 4);
    for (const auto& r : study.rows)
      INFO(r.estimator << " var " << r.variance << " bias " << r.bias << " noise " << r.bias_noise
                       << " cos " << r.cosine);
    const auto& soft = study.rows[0];
    const auto& plain = study.rows[2];
    const auto& base = study.rows[3];
    CHECK(plain.bias < 3.5 * plain.bias_noise);
    CHECK(base.bias < 3.5 * base.bias_noise);
    CHECK(base.variance < 0.7 * plain.variance);
    CHECK(soft.variance < plain.variance);  // the relaxation trades variance for bias
    CHECK(soft.bias > 3.5 * soft.bias_noise);
  }
  SECTION("Gaussian latents") {
    Generator init(32);
    const VAE vae({.dims = 16, .latent = LatentKind::gaussian, .latent_dim = 3, .hidden = 16, .depth = 1},
                  init);
    const auto study = study_gradient_estimators(
        vae, x,
        {.estimators = {Estimator::reparameterization, Estimator::reinforce,
                        Estimator::reinforce_baseline},
         .repeats = 400,
         .reference_samples = 20000},
        rng);
    for (const auto& r : study.rows) {
      INFO(r.estimator << " var " << r.variance << " bias " << r.bias << " noise " << r.bias_noise);
      CHECK(r.bias < 3.5 * r.bias_noise);
    }
    CHECK(study.rows[0].variance < 0.5 * study.rows[1].variance);
    CHECK(study.rows[2].variance < study.rows[1].variance);
    CHECK_THROWS_WITH(
        study_gradient_estimators(vae, x, {.estimators = {Estimator::gumbel_st}}, rng),
        Catch::Contains("does not apply to gaussian latents"));
  }
}

TEST_CASE("VAE training: the ELBO rises, IWAE bounds it, samples and reconstructions are images",
          "[vae]") {
  Generator rng(40), init(41);
  const Tensor data = prototype_data(512, rng);
  for (const LatentKind latent : {LatentKind::gaussian, LatentKind::categorical}) {
    VAE vae(
        {.dims = 16, .latent = latent, .latent_dim = 4, .categories = 4, .hidden = 32, .depth = 1},
        init);
    Adam adam(vae.named_parameters(), {.lr = 3e-3f});
    const ObjectiveOptions o{
        .estimator = latent == LatentKind::gaussian ? Estimator::reparameterization : Estimator::gumbel_st,
        .tau = 0.7};
    const double before = -mean(vae.elbo(data, rng)).item();
    for (int step = 0; step < 400; ++step) {
      const Tensor batch = index_select(data, 0, floor(mul_scalar(rng.uniform({64}), 511.99f)).to_indices());
      const auto t = vae.objective(batch, o, rng);
      adam.zero_grad();
      t.loss.backward();
      adam.step();
    }
    const double after = -mean(vae.elbo(data, rng)).item();
    const double iwae = -mean(vae.iwae(data, 200, rng)).item();
    INFO(name_of(latent) << ": -ELBO " << before << " -> " << after << ", IWAE-200 NLL " << iwae);
    CHECK(after < before - 3.0);
    CHECK(iwae < after);
    // 4 prototypes with 10% noise: about 16 H(0.1) + log 4 = 6.6 nats at best.
    CHECK(iwae < 9.0);
    const Tensor s = vae.sample(10, rng), r = vae.reconstruct(slice(data, 0, 0, 10));
    CHECK(s.shape() == Shape{10, 16});
    CHECK(r.shape() == Shape{10, 16});
    CHECK(-max(-s, {}).item() >= 0.0f);
    CHECK(max(s, {}).item() <= 1.0f);
  }
}

TEST_CASE("Gaussian likelihood: the learned variance moves to fit the data, the fixed one stays",
          "[vae]") {
  // x = (u, 2u) + N(0, 0.05^2): one latent explains it, leaving a small residual variance.
  Generator rng(50);
  const Tensor u = rng.normal({1024, 1});
  const Tensor x = concat({u, mul_scalar(u, 2.0f)}, 1) + mul_scalar(rng.normal({1024, 2}), 0.05f);
  for (bool learn : {true, false}) {
    Generator init(51);
    VAE vae({.dims = 2,
             .latent_dim = 1,
             .hidden = 32,
             .depth = 1,
             .activation = "tanh",
             .likelihood = "gaussian",
             .learn_variance = learn,
             .log_variance = 0.0},
            init);
    CHECK(vae.named_parameters().size() == (learn ? 9u : 8u));  // 2 x (2 weights, 2 biases) + 1
    Adam adam(vae.named_parameters(), {.lr = 1e-2f});
    const double before = -mean(vae.elbo(x, rng)).item();
    for (int step = 0; step < 600; ++step) {
      const auto t = vae.objective(x, {}, rng);
      adam.zero_grad();
      t.loss.backward();
      adam.step();
    }
    const double after = -mean(vae.elbo(x, rng)).item();
    const float lv = vae.state_dict().at("log_variance").to_vector()[0];
    INFO("learn " << learn << ": -ELBO " << before << " -> " << after << ", log variance " << lv);
    CHECK(after < before - 0.5);
    if (learn)
      CHECK(lv < -2.0f);  // toward log(0.05^2) = -6 from 0
    else
      CHECK(lv == 0.0f);
  }
}
