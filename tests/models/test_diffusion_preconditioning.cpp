// The four preconditionings and five output parameterizations against the analytic
// mixture: a network that outputs the ideal F gives exactly the analytic D, the loss at
// the ideal denoiser equals its closed-form minimum, and gradients of the loss through
// the preconditioning match finite differences.
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/core/options.h"
#include "genlab/core/ops.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/models/diffusion/diffusion_model.h"
#include "tests/core/gradcheck.h"

using namespace genlab;

namespace {

// The F that makes D exact: it sees only (c_in x, c_noise), so it must invert both, which
// also tests that c_in and c_noise are consistent and invertible.
NetworkFn ideal_network(const GaussianMixture& gm, const Preconditioning& pre) {
  return [&gm, &pre](const Tensor& x_in, const Tensor& c_noise) {
    std::vector<float> sig;
    for (float c : c_noise.to_vector()) sig.push_back(static_cast<float>(pre.sigma_of_c_noise(c)));
    const Tensor sigma = Tensor::from_vector(sig, {c_noise.size(0)});
    const auto c = pre.coefficients(sigma);
    const Tensor x = x_in / c.c_in;
    return (gm.denoise(x, sigma) - x * c.c_skip) / c.c_out;
  };
}

}  // namespace

TEST_CASE("the ideal network gives the analytic D in every preconditioning and parameterization",
          "[diffusion]") {
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const Tensor x = Generator(1).normal({64, 2}) * 1.5f;
  for (const auto& process : preconditioning_processes())
    for (const auto& param : output_parameterizations())
      for (float s : {0.01f, 0.3f, 2.0f, 20.0f}) {
        INFO(process << " / " << param << " at sigma " << s);
        const Preconditioning pre({.process = process, .parameterization = value_of<OutputParameterization>(param)});
        const Tensor sigma = Tensor::full({64}, s);
        const Tensor xs = x * (1.0f + s);  // inputs at the scale of the noised data
        const Tensor d = preconditioned_denoise(pre, ideal_network(gm, pre), xs, sigma);
        const double err = max(abs(d - gm.denoise(xs, sigma)), {}).item();
        CHECK(err < 2e-5 * (1.0 + s) * (1.0 + s));
      }
}

TEST_CASE("the preconditionings follow docs/MATH.md's table", "[diffusion]") {
  const Tensor sigma = Tensor::from_vector({0.5f}, {1});
  const auto edm = Preconditioning({.process = "edm", .sigma_data = 0.5}).coefficients(sigma);
  CHECK(edm.c_skip.item() == Approx(0.5));
  CHECK(edm.c_out.item() == Approx(0.25 / std::sqrt(0.5)));
  CHECK(edm.c_in.item() == Approx(1 / std::sqrt(0.5)));
  CHECK(edm.c_noise.item() == Approx(std::log(0.5) / 4));
  CHECK(edm.weight.item() == Approx(0.5 / (0.0625)));
  const auto vp = Preconditioning({.process = "vp"}).coefficients(sigma);
  CHECK(vp.c_skip.item() == 1.0f);
  CHECK(vp.c_out.item() == Approx(-0.5));
  CHECK(vp.c_in.item() == Approx(1 / std::sqrt(1.25)));
  const double t = (std::sqrt(0.01 + 2 * 19.9 * std::log(1.25)) - 0.1) / 19.9;
  CHECK(vp.c_noise.item() == Approx(999 * t));
  const auto ve = Preconditioning({.process = "ve"}).coefficients(sigma);
  CHECK(ve.c_out.item() == Approx(0.5));
  CHECK(ve.c_noise.item() == Approx(std::log(0.25)));
  const auto flow = Preconditioning({.process = "flow"}).coefficients(sigma);
  CHECK(flow.c_skip.item() == Approx(1 / 1.5));
  CHECK(flow.c_out.item() == Approx(-0.5 / 1.5));
  CHECK(flow.c_noise.item() == Approx(0.5 / 1.5));
  CHECK(flow.weight.item() == Approx(9.0));
  // In its native form every weighted loss is the plain F loss: lambda c_out^2 = 1.
  for (const auto& p : preconditioning_processes()) {
    const auto c = Preconditioning({.process = p})
                       .coefficients(Tensor::from_vector({0.01f, 0.7f, 30.0f}, {3}));
    const auto w = c.weight.to_vector(), o = c.c_out.to_vector();
    for (int i = 0; i < 3; ++i) CHECK(w[i] * o[i] * o[i] == Approx(1.0).epsilon(1e-5));
  }
  CHECK_THROWS_WITH(Preconditioning({.process = "ddpm"}),
                    Catch::Matchers::Contains("vp, ve, edm, flow"));
  CHECK_THROWS_WITH(value_of<OutputParameterization>("score"), Catch::Matchers::Contains("eps, x0, v"));
}

TEST_CASE("training sigma follows each process's distribution", "[diffusion]") {
  Generator rng(2);
  const int n = 100000;
  const auto edm = log(Preconditioning({.process = "edm"}).sample_sigma(n, rng));
  CHECK(mean(edm).item() == Approx(-1.2).margin(0.02));
  CHECK(std::sqrt(mean(square(edm + 1.2f)).item()) == Approx(1.2).margin(0.02));
  const auto ve = log(Preconditioning({.process = "ve"}).sample_sigma(n, rng));
  CHECK(mean(ve).item() == Approx(0.5 * (std::log(0.02) + std::log(100.0))).margin(0.03));
  const auto flow = Preconditioning({.process = "flow"}).sample_sigma(n, rng);
  const Tensor t = flow / (flow + 1.0f);
  CHECK(mean(t).item() == Approx(0.5).margin(0.01));
  const auto logit =
      Preconditioning({.process = "flow", .flow_t = FlowTime::logit_normal}).sample_sigma(n, rng);
  CHECK(mean(log(logit)).item() == Approx(0.0).margin(0.02));  // logit(t) = ln sigma ~ N(0, 1)
  const auto vp = Preconditioning({.process = "vp"}).sample_sigma(n, rng).to_vector();
  CHECK(*std::min_element(vp.begin(), vp.end()) > 0.0f);
}

TEST_CASE("the loss at the ideal denoiser equals its closed-form minimum", "[diffusion]") {
  // One Gaussian N(mu, S): E ||D* - x0||^2 = sum_j sigma^2 l_j / (l_j + sigma^2) over the
  // eigenvalues l_j of S; the loss is lambda(sigma) times that over dims.
  const Tensor cov = Tensor::from_vector({0.3f, 0.1f, 0.1f, 0.2f}, {1, 2, 2});
  const GaussianMixture g = GaussianMixture::with_covariances(
      Tensor::ones({1}), Tensor::from_vector({0.4f, -0.2f}, {1, 2}), cov);
  const double tr = 0.5, det = 0.05, disc = std::sqrt(tr * tr / 4 - det);
  const double l1 = tr / 2 + disc, l2 = tr / 2 - disc;
  Generator rng(3);
  const int64_t n = 200000;
  const Tensor x0 = g.sample(n, rng), eps = rng.normal({n, 2});
  for (const auto& process : preconditioning_processes())
    for (double s : {0.05, 0.5, 3.0}) {
      const Preconditioning pre({.process = process});
      const Tensor sigma = Tensor::full({n}, static_cast<float>(s));
      const Tensor per = denoising_loss(pre, ideal_network(g, pre), x0, sigma, eps);
      const double m = mean(per).item();
      const double sd = std::sqrt(mean(square(per - static_cast<float>(m))).item());
      const double lambda =
          pre.coefficients(Tensor::full({1}, static_cast<float>(s))).weight.item();
      const double expected =
          lambda * 0.5 * (s * s * l1 / (l1 + s * s) + s * s * l2 / (l2 + s * s));
      INFO(process << " sigma " << s << ": loss " << m << " expected " << expected);
      CHECK(std::abs(m - expected) < 4 * sd / std::sqrt(static_cast<double>(n)) + 1e-4 * expected);
      // Any other denoiser does worse.
      const NetworkFn ideal = ideal_network(g, pre);
      const NetworkFn off = [&](const Tensor& a, const Tensor& b) { return ideal(a, b) * 1.1f; };
      CHECK(mean(denoising_loss(pre, off, x0, sigma, eps)).item() > m);
    }
}

TEST_CASE("gradients of the loss through the preconditioning match finite differences",
          "[diffusion]") {
  for (const auto& process : preconditioning_processes())
    for (const char* param : {"native", "x0", "v"}) {
      INFO(process << " / " << param);
      const Preconditioning pre({.process = process, .parameterization = value_of<OutputParameterization>(param)});
      const Tensor sigma = Tensor::from_vector({0.05f, 0.4f, 1.5f, 6.0f}, {4});
      const Tensor eps = Generator(4).normal({4, 2});
      // A tiny net F = tanh([x_in, c_noise] W^T + b); inputs: W, b and x0.
      auto fn = [&](const std::vector<Tensor>& in) {
        const NetworkFn net = [&](const Tensor& x_in, const Tensor& c_noise) {
          return tanh(matmul(concat({x_in, reshape(c_noise, {-1, 1})}, 1), in[0], false, true) +
                      in[1]);
        };
        return denoising_loss(pre, net, in[2], sigma, eps);
      };
      const auto r =
          testing::gradcheck(fn, {testing::test_input({2, 3}, 5), testing::test_input({2}, 6),
                                  testing::test_input({4, 2}, 7)});
      INFO(r.report);
      CHECK(r.ok);
    }
}

// The preconditioning reads its process's own parameters (one struct per process, built
// from the Process): a VP or VE process with other parameters changes c_noise, the
// training sigma and c_noise's inverse consistently with the Process a sampler
// integrates, and the model hands that very Process on.
TEST_CASE("the preconditioning follows the Process it is given, parameters and all", "[diffusion]") {
  const std::shared_ptr<const Process> vp = make_vp({.beta_d = 10.0, .beta_min = 0.5});
  const Preconditioning pre({.vp_m = 1000}, vp);
  CHECK(pre.options().process == "vp");
  CHECK(&pre.process() == vp.get());
  for (double s : {0.05, 0.7, 4.0, 30.0}) {
    INFO("sigma " << s);
    const double c = pre.coefficients(Tensor::full({1}, static_cast<float>(s))).c_noise.item();
    CHECK(c == Approx(999.0 * vp->t_of_sigma(s)).epsilon(1e-5));
    CHECK(pre.sigma_of_c_noise(c) == Approx(s).epsilon(1e-5));
    // The default VP's c_noise differs: the parameters did reach it.
    CHECK(std::abs(Preconditioning({.process = "vp"}).coefficients(Tensor::full({1}, static_cast<float>(s)))
                       .c_noise.item() - c) > 1e-3 * c);
  }
  Generator rng(5);
  for (float s : pre.sample_sigma(20000, rng).to_vector()) {
    const double t = vp->t_of_sigma(s);
    REQUIRE(t >= 1e-5 * (1 - 1e-4));
    REQUIRE(t <= 1.0 + 1e-4);
  }
  // VE: the training range is the process's sigma range.
  const std::shared_ptr<const Process> ve = make_ve({.sigma_min = 0.5, .sigma_max = 4.0});
  const auto sig = Preconditioning({}, ve).sample_sigma(20000, rng).to_vector();
  CHECK(*std::min_element(sig.begin(), sig.end()) >= 0.5f * 0.9999f);
  CHECK(*std::max_element(sig.begin(), sig.end()) <= 4.0f * 1.0001f);
  CHECK(*std::min_element(sig.begin(), sig.end()) < 0.52f);
  CHECK(*std::max_element(sig.begin(), sig.end()) > 3.9f);
  // The model keeps the Process, and a model of the same architecture shares it.
  Generator init(1);
  DiffusionModel model({.process = "flow"}, DenoiserNetOptions{.dims = 2, .width = 8, .depth = 1}, init);
  CHECK(model.preconditioning().process().name() == "flow");
  CHECK(&model.same_architecture(init)->preconditioning().process() == &model.preconditioning().process());
}
