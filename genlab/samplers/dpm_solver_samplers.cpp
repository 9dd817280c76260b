// The DPM-Solver family in k-diffusion's forms, in x_hat = x / s and lambda = -ln sigma,
// so that each runs on every process: dpmpp_2s_ancestral, dpmpp_sde, dpmpp_2m_sde,
// dpmpp_3m_sde (docs/MATH.md section 8) and the adaptive dpm_adaptive. Each step's last
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

struct DpmppSdeOptions {
  double eta = 1.0, s_noise = 1.0, r = 0.5;
};

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

struct MultistepSdeOptions {
  double eta = 1.0, s_noise = 1.0;
  int solver_type = 0;  // dpmpp_2m_sde: 0 midpoint, 1 heun
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
        const double c = o.solver_type == 1 ? (decay / (-h - eta_h) + 1.0) / r : 0.5 * decay / r;
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

// DPM-Solver++(3M) SDE (k-diffusion's sample_dpmpp_3m_sde): as 2M SDE, with the second
// and third multistep terms phi_2 D1 - phi_3 D2 from the last three D.
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
        next_hat = next_hat + d1 * phi_2 - d2 * phi_3;
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

struct DpmAdaptiveOptions {
  int order = 3;
  double rtol = 0.05, atol = 0.0078, h_init = 0.05;
  double pcoeff = 0, icoeff = 1, dcoeff = 0, accept_safety = 0.81;
  double eta = 0, s_noise = 1;
  int64_t max_attempts = 100000;
};

// k-diffusion's PIDStepSizeController: the step in lambda scaled by a PID factor of the
// inverse errors, limited by 1 + atan(f - 1); a step is accepted when the factor is at
// least accept_safety.
class PidStepControl {
 public:
  PidStepControl(double h, const DpmAdaptiveOptions& o, double order)
      : h_(h),
        b1_((o.pcoeff + o.icoeff + o.dcoeff) / order),
        b2_(-(o.pcoeff + 2 * o.dcoeff) / order),
        b3_(o.dcoeff / order),
        safety_(o.accept_safety) {}
  double h() const { return h_; }
  bool propose(double error) {
    const double inv = 1.0 / (error + 1e-8);
    if (errs_.empty()) errs_ = {inv, inv, inv};
    errs_[0] = inv;
    double f = std::pow(errs_[0], b1_) * std::pow(errs_[1], b2_) * std::pow(errs_[2], b3_);
    f = 1.0 + std::atan(f - 1.0);
    const bool accept = f >= safety_;
    if (accept) errs_[2] = errs_[1], errs_[1] = errs_[0];
    h_ *= f;
    return accept;
  }

 private:
  double h_, b1_, b2_, b3_, safety_;
  std::vector<double> errs_;
};

// The adaptive DPM-Solver (Lu et al. 2022, k-diffusion's dpm_solver_adaptive): in
// lambda = -ln sigma, an embedded pair (DPM-Solver-2 with r1 = 1/3 inside DPM-Solver-3,
// 3 evaluations; or 1 inside 2) from the grid's first sigma to its last positive one, the
// error (x_low - x_high) / max(atol, rtol max(|x_low|, |x_prev|)) in RMS over the batch.
// The first evaluation of a step is reused after a rejection (k-diffusion repeats it).
State dpm_adaptive(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                   const DpmAdaptiveOptions& o) {
  const Process& p = ode.process();
  const bool to_zero = !(p.sigma(t.back()) > 0);
  if (to_zero && t.size() < 3)
    throw std::invalid_argument("dpm_adaptive: the grid must reach a positive sigma before 0");
  const double t_end = to_zero ? t[t.size() - 2] : t.back();
  auto sigma_of = [](double lam) { return std::exp(-lam); };
  auto eps = [&](const State& xh, double lam) {
    const double s = sigma_of(lam);
    return (xh - ode.denoise(xh, s)) * (1.0 / s);
  };
  State x_hat = x * (1.0 / p.s(t.front()));
  double lam = -std::log(p.sigma(t.front()));
  const double lam_end = -std::log(p.sigma(t_end));
  PidStepControl pid(std::abs(o.h_init), o, o.eta > 0 ? 1.5 : o.order);
  State x_prev = x_hat, eps_0;
  uint64_t accepted = 0;
  for (int64_t attempt = 0; lam < lam_end - 1e-5; ++attempt) {
    if (attempt >= o.max_attempts)
      throw std::runtime_error("dpm_adaptive: no convergence in " + std::to_string(o.max_attempts) +
                               " attempted steps (loosen rtol / atol)");
    const double lam_t = std::min(lam_end, lam + pid.h());
    double lam_to = lam_t, su = 0;
    if (o.eta > 0) {
      const auto [down, up] = ancestral_step(sigma_of(lam), sigma_of(lam_t), o.eta);
      lam_to = down > 0 ? std::min(lam_end, -std::log(down)) : lam_end;
      su = std::sqrt(std::max(0.0, sigma_of(lam_t) * sigma_of(lam_t) - sigma_of(lam_to) * sigma_of(lam_to)));
    }
    if (!eps_0.defined()) eps_0 = eps(x_hat, lam);
    const double h = lam_to - lam, sig_to = sigma_of(lam_to);
    const State first = x_hat - eps_0 * (sig_to * std::expm1(h));  // DPM-Solver-1
    State x_low, x_high;
    if (o.order == 2) {
      const double s1 = lam + h / 2;
      const State u1 = x_hat - eps_0 * (sigma_of(s1) * std::expm1(h / 2));
      const State eps_1 = eps(u1, s1);
      x_low = first;
      x_high = first - (eps_1 - eps_0) * (sig_to * std::expm1(h));  // r1 = 1/2: 1/(2 r1) = 1
    } else {
      const double r1 = 1.0 / 3, r2 = 2.0 / 3, s1 = lam + r1 * h, s2 = lam + r2 * h;
      const State u1 = x_hat - eps_0 * (sigma_of(s1) * std::expm1(r1 * h));
      const State eps_1 = eps(u1, s1);
      x_low = first - (eps_1 - eps_0) * (sig_to / (2 * r1) * std::expm1(h));
      const State u2 = x_hat - eps_0 * (sigma_of(s2) * std::expm1(r2 * h)) -
                       (eps_1 - eps_0) * (sigma_of(s2) * (r2 / r1) * (std::expm1(r2 * h) / (r2 * h) - 1));
      const State eps_2 = eps(u2, s2);
      x_high = first - (eps_2 - eps_0) * (sig_to / r2 * (std::expm1(h) / h - 1));
    }
    const auto lo = x_low.doubles(), hi = x_high.doubles(), prev = x_prev.doubles();
    double sq = 0;
    for (size_t k = 0; k < lo.size(); ++k) {
      const double delta = std::max(o.atol, o.rtol * std::max(std::abs(lo[k]), std::abs(prev[k])));
      sq += (lo[k] - hi[k]) * (lo[k] - hi[k]) / (delta * delta);
    }
    if (pid.propose(std::sqrt(sq / std::max<size_t>(lo.size(), 1)))) {
      x_prev = x_low;
      x_hat = x_high;
      if (su > 0)
        x_hat = x_hat + x.like(noise.draw(accepted, x.shape(), sigma_of(lam), sigma_of(lam_t))) *
                            (su * o.s_noise);
      lam = lam_t;
      eps_0 = State();
      ++accepted;
    }
  }
  State out = x_hat * p.s(t_end);
  if (to_zero) out = out + ode.derivative(out, t_end) * (t.back() - t_end);
  return out;
}

template <class Options>
std::unique_ptr<Sampler> stepping(const char* name, typename SteppingSampler<Options>::StepFn fn,
                                  const Options& o, const SamplerSettings& f, bool stochastic = true) {
  return std::make_unique<SteppingSampler<Options>>(name, stochastic, fn, o, f);
}

// eta = 0 (or s_noise = 0) leaves an ODE solver: deterministic.
bool draws_noise(const SamplerParams& o) {
  return o.at("eta") > 0 && o.at("s_noise") > 0;
}

void require_noise_options(const SamplerParams& o, const char* name) {
  require_sampler_option(o.at("eta") >= 0 && o.at("s_noise") >= 0, name,
                         "needs eta >= 0 and s_noise >= 0");
}

std::unique_ptr<Sampler> make_2s_ancestral(const SamplerParams& o, const SamplerSettings& f) {
  require_noise_options(o, "dpmpp_2s_ancestral");
  return stepping("dpmpp_2s_ancestral", dpmpp_2s_ancestral, AncestralOptions{o.at("eta"), o.at("s_noise")}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_dpmpp_sde(const SamplerParams& o, const SamplerSettings& f) {
  require_noise_options(o, "dpmpp_sde");
  require_sampler_option(o.at("r") > 0 && o.at("r") < 1, "dpmpp_sde", "needs 0 < r < 1");
  return stepping("dpmpp_sde", dpmpp_sde, DpmppSdeOptions{o.at("eta"), o.at("s_noise"), o.at("r")}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_2m_sde(const SamplerParams& o, const SamplerSettings& f) {
  require_noise_options(o, "dpmpp_2m_sde");
  return stepping("dpmpp_2m_sde", dpmpp_2m_sde,
                  MultistepSdeOptions{o.at("eta"), o.at("s_noise"), static_cast<int>(o.at("solver_type"))}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_3m_sde(const SamplerParams& o, const SamplerSettings& f) {
  require_noise_options(o, "dpmpp_3m_sde");
  return stepping("dpmpp_3m_sde", dpmpp_3m_sde, MultistepSdeOptions{o.at("eta"), o.at("s_noise"), 0}, f,
                  draws_noise(o));
}

std::unique_ptr<Sampler> make_dpm_adaptive(const SamplerParams& o, const SamplerSettings& f) {
  DpmAdaptiveOptions a;
  a.order = static_cast<int>(o.at("order"));
  a.rtol = o.at("rtol"), a.atol = o.at("atol"), a.h_init = o.at("h_init");
  a.pcoeff = o.at("pcoeff"), a.icoeff = o.at("icoeff"), a.dcoeff = o.at("dcoeff");
  a.accept_safety = o.at("accept_safety"), a.eta = o.at("eta"), a.s_noise = o.at("s_noise");
  require_sampler_option(o.at("order") == 2 || o.at("order") == 3, "dpm_adaptive", "order must be 2 or 3");
  require_sampler_option(a.rtol > 0 && a.atol > 0 && a.h_init > 0, "dpm_adaptive",
                         "needs rtol > 0, atol > 0 and h_init > 0");
  require_sampler_option(a.accept_safety > 0 && a.accept_safety <= 1, "dpm_adaptive",
                         "needs 0 < accept_safety <= 1");
  require_noise_options(o, "dpm_adaptive");
  return stepping("dpm_adaptive", dpm_adaptive, a, f, draws_noise(o));
}

}  // namespace

const std::vector<SamplerEntry>& dpm_solver_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      {"dpmpp_2s_ancestral", "DPM-Solver++(2S) ancestral: a midpoint DPM-Solver++ step to sigma_down, then noise",
       {{"eta", 1.0}, {"s_noise", 1.0}}, 50, make_2s_ancestral, false, true},
      {"dpmpp_sde", "DPM-Solver++ SDE: two ancestral DPM-Solver++ moves per step (k-diffusion's)",
       {{"eta", 1.0}, {"s_noise", 1.0}, {"r", 0.5}}, 50, make_dpmpp_sde, false, true},
      {"dpmpp_2m_sde", "DPM-Solver++(2M) SDE: second-order multistep with exact noise decay",
       {{"eta", 1.0}, {"s_noise", 1.0}, {"solver_type", 0}}, 100, make_2m_sde, false, true,
       {{"solver_type", {"midpoint", "heun"}}}},
      {"dpmpp_3m_sde", "DPM-Solver++(3M) SDE: third-order multistep with exact noise decay",
       {{"eta", 1.0}, {"s_noise", 1.0}}, 100, make_3m_sde, false, true},
      {"dpm_adaptive", "adaptive DPM-Solver (embedded orders 2/3 in log sigma, PID steps); steps unused",
       {{"order", 3}, {"rtol", 0.05}, {"atol", 0.0078}, {"h_init", 0.05}, {"pcoeff", 0},
        {"icoeff", 1}, {"dcoeff", 0}, {"accept_safety", 0.81}, {"eta", 0}, {"s_noise", 1}},
       2, make_dpm_adaptive, true, true},
  };
  return rows;
}

}  // namespace genlab
