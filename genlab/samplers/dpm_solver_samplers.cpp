// The DPM-Solver family in k-diffusion's forms, in x_hat = x / s and lambda = -ln sigma,
// so that each runs on every process: dpmpp_2s_ancestral, dpmpp_sde, dpmpp_2m_sde,
// dpmpp_3m_sde (docs/MATH.md section 8); the adaptive one is dpm_adaptive_sampler.cpp. Each step's last
// move into sigma = 0 is x_hat = D, as in k-diffusion.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/samplers/sampler_registry.h"
#include "genlab/samplers/sde_samplers.h"
#include "genlab/samplers/stepping_sampler.h"

namespace genlab {
namespace {

// 1 - a / b for 0 <= a <= b, accurate when a is close to b.
double one_minus_ratio(double a, double b) {
  return a > 0 ? -std::expm1(std::log(a) - std::log(b)) : 1.0;
}

// DPM-Solver++(2S) with ancestral noise: a second-order singlestep DPM-Solver++ move
// (midpoint in lambda) down to sigma_down, then noise of sigma_up.
State dpmpp_2s_ancestral(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                         const AncestralOptions& o) {
  const Process& p = ode.process();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    const auto [down, up] = ancestral_step(sig, sig_next, o.eta);
    State next_hat = den;  // an Euler step to sigma_down = 0 lands on D
    if (down > 0) {
      const double h = std::log(sig) - std::log(down), sig_mid = std::exp(std::log(sig) - h / 2);
      const State mid = x_hat * (sig_mid / sig) - den * std::expm1(-h / 2);
      const State den_mid = ode.denoise(mid, sig_mid);
      next_hat = x_hat * (down / sig) - den_mid * std::expm1(-h);
    }
    if (sig_next > 0 && up > 0)
      next_hat = next_hat + x.like(noise.draw(i, x.shape(), sig, sig_next)) * (up * o.s_noise);
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

struct DpmppSdeOptions : AncestralOptions {
  double r = 0.5;
};
template <class V>
void fields(V& v, DpmppSdeOptions& o) {
  fields(v, static_cast<AncestralOptions&>(o));
  v.field("r", o.r, "where the second evaluation sits, as a fraction of the step in log sigma",
          between(0, 1, "()"));
}

// DPM-Solver++ (stochastic, k-diffusion's sample_dpmpp_sde): an ancestral first-order move
// to lambda + r h, a second evaluation there, and an ancestral move to the next sigma with
// D mixed as (1 - 1/(2r)) D + 1/(2r) D_mid. As a stochastic Runge-Kutta step needs, the
// two moves' noises are increments of one path: z_a over [sigma_mid, sigma] and, for the
// whole step, (sqrt(du_a) z_a + sqrt(du_b) z_b) / sqrt(du_a + du_b) with z_b over
// [sigma_next, sigma_mid] (u = ln sigma). With brownian_tree noise this is k-diffusion's
// default noise exactly; with independent noise z_a and z_b are two fresh draws (two
// unrelated draws instead give a covariance error of 0.17 on the broad mixture).
State dpmpp_sde(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                const DpmppSdeOptions& o) {
  const Process& p = ode.process();
  const double fac = 1.0 / (2.0 * o.r);
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    State next_hat = den;
    if (sig_next > 0) {
      const double h = std::log(sig) - std::log(sig_next);
      const double sig_mid = std::exp(std::log(sig) - o.r * h);
      const auto [down1, up1] = ancestral_step(sig, sig_mid, o.eta);
      const auto [down2, up2] = ancestral_step(sig, sig_next, o.eta);
      State z_a, z_b;
      if (up1 > 0 || up2 > 0) {
        z_a = x.like(noise.draw(2 * i, x.shape(), sig, sig_mid));
        z_b = x.like(noise.draw(2 * i + 1, x.shape(), sig_mid, sig_next));
      }
      State mid = x_hat * (down1 / sig) + den * one_minus_ratio(down1, sig);
      if (up1 > 0) mid = mid + z_a * (up1 * o.s_noise);
      const State den_mid = ode.denoise(mid, sig_mid);
      const State mixed = den * (1.0 - fac) + den_mid * fac;
      next_hat = x_hat * (down2 / sig) + mixed * one_minus_ratio(down2, sig);
      if (up2 > 0) {
        const double du_a = o.r * h, du_b = (1 - o.r) * h;
        const State z = (z_a * std::sqrt(du_a) + z_b * std::sqrt(du_b)) * (1.0 / std::sqrt(h));
        next_hat = next_hat + z * (up2 * o.s_noise);
      }
    }
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

// dpmpp_2m_sde's second-order correction: k-diffusion's midpoint or heun form.
enum class SecondOrderForm { midpoint, heun };
const std::vector<std::string>& names_of(SecondOrderForm) {
  static const std::vector<std::string> names{"midpoint", "heun"};
  return names;
}

struct Dpmpp2mSdeOptions : AncestralOptions {
  SecondOrderForm solver_type = SecondOrderForm::midpoint;
};
template <class V>
void fields(V& v, Dpmpp2mSdeOptions& o) {
  fields(v, static_cast<AncestralOptions&>(o));
  v.field("solver_type", o.solver_type, "the second-order correction's form");
}

struct MultistepSdeOptions {
  double eta = 1.0, s_noise = 1.0;
  SecondOrderForm solver_type = SecondOrderForm::midpoint;  // dpmpp_2m_sde
  // dpmpp_3m_sde: the factor of phi_3 D2. 2 is Taylor-consistent (third order at eta = 0,
  // docs/MATH.md section 8); 1 is k-diffusion's sample_dpmpp_3m_sde, whose D2 term is half
  // of that and which is second order (measured slopes 2.1-2.4).
  double third_term = 2.0;
};

// DPM-Solver++(2M) SDE (k-diffusion's sample_dpmpp_2m_sde): the exact solution of the
// linear part over h (with eta h of extra decay, replaced by noise of variance
// sigma_next^2 (1 - e^{-2 eta h})), plus a multistep correction from the previous D.
// eta = 0 with midpoint is dpmpp_2m.
State dpmpp_2m_sde(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                   const MultistepSdeOptions& o) {
  const Process& p = ode.process();
  State previous;
  double h_previous = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    State next_hat = den;
    if (sig_next > 0) {
      const double h = std::log(sig) - std::log(sig_next), eta_h = o.eta * h;
      const double decay = -std::expm1(-h - eta_h);  // 1 - e^{-(h + eta h)}
      next_hat = x_hat * (sig_next / sig * std::exp(-eta_h)) + den * decay;
      if (previous.defined()) {
        const double r = h_previous / h;
        const double c = o.solver_type == SecondOrderForm::heun ? (decay / (-h - eta_h) + 1.0) / r : 0.5 * decay / r;
        next_hat = next_hat + (den - previous) * c;
      }
      if (o.eta > 0)
        next_hat = next_hat + x.like(noise.draw(i, x.shape(), sig, sig_next)) *
                                  (sig_next * std::sqrt(-std::expm1(-2.0 * eta_h)) * o.s_noise);
      h_previous = h;
    }
    previous = den;
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

// DPM-Solver++(3M) SDE: as 2M SDE, with the second and third multistep terms
// phi_2 D1 - 2 phi_3 D2 from the last three D, where D1 ~ h D' and D2 ~ h^2 D'' / 2 are the
// divided differences of k-diffusion's sample_dpmpp_3m_sde; the exact integral of the
// quadratic Taylor term is -phi_3 h^2 D'', hence the 2 (k-diffusion's form, with 1, is the
// row dpmpp_3m_sde_kdiffusion). eta = 0 is the ODE multistep DPM-Solver++(3M).
State dpmpp_3m_sde(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                   const MultistepSdeOptions& o) {
  const Process& p = ode.process();
  State den_1, den_2;
  double h_1 = 0, h_2 = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const auto [sig, sig_next, x_hat, den] = ode.denoised_step(x, t[i], t[i + 1]);
    State next_hat = den;
    double h = h_1;
    if (sig_next > 0) {
      h = std::log(sig) - std::log(sig_next);
      const double h_eta = h * (o.eta + 1.0);
      next_hat = x_hat * std::exp(-h_eta) - den * std::expm1(-h_eta);
      const double phi_2 = std::expm1(-h_eta) / h_eta + 1.0;
      if (den_2.defined()) {
        const double r0 = h_1 / h, r1 = h_2 / h;
        const State d1_0 = (den - den_1) * (1.0 / r0), d1_1 = (den_1 - den_2) * (1.0 / r1);
        const State d1 = d1_0 + (d1_0 - d1_1) * (r0 / (r0 + r1));
        const State d2 = (d1_0 - d1_1) * (1.0 / (r0 + r1));
        const double phi_3 = phi_2 / h_eta - 0.5;
        next_hat = next_hat + d1 * phi_2 - d2 * (o.third_term * phi_3);
      } else if (den_1.defined()) {
        next_hat = next_hat + (den - den_1) * (phi_2 * h / h_1);
      }
      if (o.eta > 0)
        next_hat = next_hat + x.like(noise.draw(i, x.shape(), sig, sig_next)) *
                                  (sig_next * std::sqrt(-std::expm1(-2.0 * h * o.eta)) * o.s_noise);
    }
    den_2 = den_1, den_1 = den;
    h_2 = h_1, h_1 = h;
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

template <class Options>
std::unique_ptr<Sampler> stepping(const char* name, typename SteppingSampler<Options>::StepFn fn,
                                  const Options& o, const SamplerSettings& f, bool stochastic = true) {
  return std::make_unique<SteppingSampler<Options>>(name, stochastic, fn, o, f);
}

std::unique_ptr<Sampler> make_2s_ancestral(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<AncestralOptions>();
  return stepping("dpmpp_2s_ancestral", dpmpp_2s_ancestral, o, f, draws_noise(o));
}

std::unique_ptr<Sampler> make_dpmpp_sde(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<DpmppSdeOptions>();
  return stepping("dpmpp_sde", dpmpp_sde, o, f, draws_noise(o));
}

std::unique_ptr<Sampler> make_2m_sde(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<Dpmpp2mSdeOptions>();
  return stepping("dpmpp_2m_sde", dpmpp_2m_sde, MultistepSdeOptions{o.eta, o.s_noise, o.solver_type}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_3m_sde(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<AncestralOptions>();
  return stepping("dpmpp_3m_sde", dpmpp_3m_sde, MultistepSdeOptions{o.eta, o.s_noise, {}, 2.0}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_3m_sde_kdiffusion(const AnyOptions& options, const SamplerSettings& f) {
  const auto& o = options.as<AncestralOptions>();
  return stepping("dpmpp_3m_sde_kdiffusion", dpmpp_3m_sde, MultistepSdeOptions{o.eta, o.s_noise, {}, 1.0}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_3m(const AnyOptions&, const SamplerSettings& f) {
  return stepping("dpmpp_3m", dpmpp_3m_sde, MultistepSdeOptions{0.0, 0.0, {}, 2.0}, f, false);
}

}  // namespace

namespace {

// The deterministic order at eta = 0 (or s_noise = 0); stochastic otherwise.
// (Every such sampler's options derive from AncestralOptions.)
template <class Options>
std::function<double(const AnyOptions&)> order_at_eta_zero(double p) {
  return [p](const AnyOptions& o) { return draws_noise(o.as<Options>()) ? 0.0 : p; };
}

}  // namespace

const std::vector<SamplerEntry>& dpm_solver_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      {.name = "dpmpp_2s_ancestral",
       .doc = "DPM-Solver++(2S) ancestral: a midpoint DPM-Solver++ step to sigma_down, then noise",
       .defaults = AnyOptions::of<AncestralOptions>(),
       .steps = 50,
       .make = make_2s_ancestral,
       .noise = true,
       .order = order_at_eta_zero<AncestralOptions>(2),
       .nfe = evaluations_per_step(2)},
      {.name = "dpmpp_sde",
       .doc = "DPM-Solver++ SDE: two ancestral DPM-Solver++ moves per step (k-diffusion's)",
       .defaults = AnyOptions::of<DpmppSdeOptions>(),
       .steps = 50,
       .make = make_dpmpp_sde,
       .noise = true,
       .order = order_at_eta_zero<DpmppSdeOptions>(2),
       .nfe = evaluations_per_step(2)},
      {.name = "dpmpp_2m_sde",
       .doc = "DPM-Solver++(2M) SDE: second-order multistep with exact noise decay",
       .defaults = AnyOptions::of<Dpmpp2mSdeOptions>(),
       .steps = 100,
       .make = make_2m_sde,
       .noise = true,
       .order = order_at_eta_zero<Dpmpp2mSdeOptions>(2),
       .nfe = evaluations_per_step(1)},
      {.name = "dpmpp_3m_sde",
       .doc = "DPM-Solver++(3M) SDE: third-order multistep (at eta = 0) with exact noise decay",
       .defaults = AnyOptions::of<AncestralOptions>(),
       .steps = 100,
       .make = make_3m_sde,
       .noise = true,
       .order = order_at_eta_zero<AncestralOptions>(3),
       .nfe = evaluations_per_step(1),
       // Its third-order extrapolation of D through the vp grid's uneven steps in log sigma
       // (1e-2 near sigma_max, ~2 near sigma_min) diverges on the edm and flow processes:
       // MMD^2 0.013-0.09 against a null band of 0.003 at 200 steps, Brownian N vs 4N gap
       // 11-15 (k-diffusion's own form: 0.015-0.017, 6-8); at eta = 0, error 0.07-0.09 at
       // 128-256 steps, slope 0.4-0.6 (k-diffusion's: -0.5).
       .unstable_grids = {"vp"}},
      {.name = "dpmpp_3m_sde_kdiffusion",
       .doc = "k-diffusion's sample_dpmpp_3m_sde as it is: half the third term, second order at eta = 0",
       .defaults = AnyOptions::of<AncestralOptions>(),
       .steps = 100,
       .make = make_3m_sde_kdiffusion,
       .noise = true,
       .order = order_at_eta_zero<AncestralOptions>(2),
       .nfe = evaluations_per_step(1),
       .unstable_grids = {"vp"}},
      {.name = "dpmpp_3m",
       .doc = "DPM-Solver++(3M): the third-order multistep ODE solver (dpmpp_3m_sde at eta = 0)",
       .defaults = AnyOptions::of<NoOptions>(),
       .steps = 25,
       .make = make_3m,
       .order = fixed_order(3),
       .nfe = evaluations_per_step(1),
       .unstable_grids = {"vp"}},
  };
  return rows;
}

}  // namespace genlab
