// The adaptive DPM-Solver (Lu et al. 2022, k-diffusion's dpm_solver_adaptive) with a step
// size per sample: in lambda = -ln sigma, an embedded pair (DPM-Solver-2 with r1 = 1/3
// inside DPM-Solver-3, 3 evaluations; or 1 inside 2) over the process's whole sigma range,
// each sample's error (x_low - x_high) / max(atol, rtol max(|x_low|, |x_prev|)) the RMS over
// its own components and its own PID controller. k-diffusion takes the RMS over the whole
// batch, so that a sample's path, and its accuracy, depended on its neighbours and on the
// batch size (issue 29: 1.06 from the reference with 4000 samples, 0.12 with 2000). The
// batch shares the network calls: each sample sits at its own sigma (the denoiser takes a
// sigma per row), and a finished sample rides along until the last one is done. The first
// evaluation of a step is reused after a rejection (k-diffusion repeats it).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/samplers/sampler_registry.h"
#include "genlab/samplers/sde_samplers.h"
#include "genlab/samplers/stepping_sampler.h"

namespace genlab {
namespace {

struct DpmAdaptiveOptions {
  int order = 3;
  double rtol = 0.05, atol = 0.0078, h_init = 0.05;
  // The largest step in lambda (a factor e^h_max in sigma). k-diffusion has none; with a
  // step size per sample, a sample whose own path is smooth at large sigma grows its step
  // 2.6x per step until one step (h ~ 2) jumps across the sigmas where the modes separate,
  // where the embedded estimate is far from asymptotic and accepts errors 10-50x the
  // tolerance (order 3 on the 8-Gaussians mixture: RMS 3.4e-3 at tol 1e-3, 0.21 on flow at
  // 1e-2). h_max = 1 gives 0.35-0.39e-3 and 1.8-1.9e-3 for 2-7% more evaluations.
  double h_max = 1.0;
  double pcoeff = 0, icoeff = 1, dcoeff = 0, accept_safety = 0.81;
  double eta = 0, s_noise = 1;
  int64_t max_attempts = 100000;  // not an option: the guard against a stuck sample
  bool stochastic() const { return eta > 0 && s_noise > 0; }
};
template <class V>
void fields(V& v, DpmAdaptiveOptions& o) {
  v.field("order", o.order, "the higher of the embedded pair's orders", between(2, 3));
  v.field("rtol", o.rtol, "relative tolerance of each step's error", above(0));
  v.field("atol", o.atol, "absolute tolerance of each step's error", above(0));
  v.field("h_init", o.h_init, "the first step in log sigma", above(0));
  v.field("h_max", o.h_max, "the largest step in log sigma", above(0));
  v.field("pcoeff", o.pcoeff, "the step controller's proportional coefficient");
  v.field("icoeff", o.icoeff, "the step controller's integral coefficient");
  v.field("dcoeff", o.dcoeff, "the step controller's derivative coefficient");
  v.field("accept_safety", o.accept_safety, "a step is accepted when its factor is at least this",
          between(0, 1, "(]"));
  v.field("eta", o.eta, "fraction of each step's noise drawn fresh (0: the ODE solver)", at_least(0));
  v.field("s_noise", o.s_noise, "scale of the added noise (1: exact)", at_least(0));
}

// k-diffusion's PIDStepSizeController: the step in lambda scaled by a PID factor of the
// inverse errors, limited by 1 + atan(f - 1); a step is accepted when the factor is at
// least accept_safety. One per sample.
class PidStepControl {
 public:
  PidStepControl(double h, const DpmAdaptiveOptions& o, double order)
      : h_(h),
        b1_((o.pcoeff + o.icoeff + o.dcoeff) / order),
        b2_(-(o.pcoeff + 2 * o.dcoeff) / order),
        b3_(o.dcoeff / order),
        safety_(o.accept_safety),
        h_max_(o.h_max) {
    h_ = std::min(h_, h_max_);
  }
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
    h_ = std::min(h_, h_max_);
    return accept;
  }

 private:
  double h_, b1_, b2_, b3_, safety_, h_max_;
  std::vector<double> errs_;
};

// A per-row coefficient: f applied to each row's value.
template <class F>
std::vector<double> per_row(const std::vector<double>& v, F f) {
  std::vector<double> out(v.size());
  for (size_t r = 0; r < v.size(); ++r) out[r] = f(v[r], r);
  return out;
}

double sigma_of(double lam) {
  return std::exp(-lam);
}

// An attempt's target per row: lam_t (the step's end), lam_to (where the deterministic part
// goes: lam_t, or sigma_down's when eta > 0) and su (the noise added on acceptance). A
// finished row takes a dummy step whose result is dropped.
struct StepTargets {
  std::vector<double> lam_t, lam_to, su;
};
StepTargets step_targets(const std::vector<double>& lam, const std::vector<char>& active,
                         std::vector<PidStepControl>& pid, double lam_end, const DpmAdaptiveOptions& o) {
  const size_t n = lam.size();
  StepTargets s{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n, 0.0)};
  for (size_t r = 0; r < n; ++r) {
    s.lam_t[r] = active[r] ? std::min(lam_end, lam[r] + pid[r].h()) : lam[r] + 0.1;
    s.lam_to[r] = s.lam_t[r];
    if (o.eta > 0 && active[r]) {
      const auto [down, up] = ancestral_step(sigma_of(lam[r]), sigma_of(s.lam_t[r]), o.eta);
      s.lam_to[r] = down > 0 ? std::min(lam_end, -std::log(down)) : lam_end;
      s.su[r] = std::sqrt(std::max(0.0, sigma_of(s.lam_t[r]) * sigma_of(s.lam_t[r]) -
                                            sigma_of(s.lam_to[r]) * sigma_of(s.lam_to[r])));
    }
  }
  return s;
}

// The embedded pair from x_hat over steps h (in lambda) to sigma_to: DPM-Solver-1 and -2
// (order 2), or -2 and -3 (order 3); eps(u, lambda) evaluates the model.
template <class Eps>
std::pair<State, State> embedded_pair(int order, const State& x_hat, const State& eps_0, const std::vector<double>& lam,
                                      const std::vector<double>& h, const std::vector<double>& sig_to, Eps eps) {
  const State first = x_hat - eps_0.scale_rows(per_row(h, [&](double hr, size_t r) {
                        return sig_to[r] * std::expm1(hr);
                      }));  // DPM-Solver-1
  if (order == 2) {
    const auto s1 = per_row(h, [&](double hr, size_t r) { return lam[r] + hr / 2; });
    const State u1 = x_hat - eps_0.scale_rows(per_row(h, [&](double hr, size_t r) {
                       return sigma_of(s1[r]) * std::expm1(hr / 2);
                     }));
    const State eps_1 = eps(u1, s1);
    return {first, first - (eps_1 - eps_0).scale_rows(per_row(h, [&](double hr, size_t r) {
                     return sig_to[r] * std::expm1(hr);  // r1 = 1/2: 1/(2 r1) = 1
                   }))};
  }
  const double r1 = 1.0 / 3, r2 = 2.0 / 3;
  const auto s1 = per_row(h, [&](double hr, size_t r) { return lam[r] + r1 * hr; });
  const auto s2 = per_row(h, [&](double hr, size_t r) { return lam[r] + r2 * hr; });
  const State u1 = x_hat - eps_0.scale_rows(per_row(h, [&](double hr, size_t r) {
                     return sigma_of(s1[r]) * std::expm1(r1 * hr);
                   }));
  const State eps_1 = eps(u1, s1);
  const State x_low = first - (eps_1 - eps_0).scale_rows(per_row(h, [&](double hr, size_t r) {
                        return sig_to[r] / (2 * r1) * std::expm1(hr);
                      }));
  const State u2 = x_hat - eps_0.scale_rows(per_row(h, [&](double hr, size_t r) {
                     return sigma_of(s2[r]) * std::expm1(r2 * hr);
                   })) - (eps_1 - eps_0).scale_rows(per_row(h, [&](double hr, size_t r) {
                     return sigma_of(s2[r]) * (r2 / r1) * (std::expm1(r2 * hr) / (r2 * hr) - 1);
                   }));
  const State eps_2 = eps(u2, s2);
  return {x_low, first - (eps_2 - eps_0).scale_rows(per_row(h, [&](double hr, size_t r) {
                   return sig_to[r] / r2 * (std::expm1(hr) / hr - 1);
                 }))};
}

// Each active sample's error against its own tolerance, handed to its PID controller:
// which rows accept their step.
std::vector<char> accepted_rows(const State& x_low, const State& x_high, const State& x_prev,
                                const std::vector<char>& active, std::vector<PidStepControl>& pid,
                                const DpmAdaptiveOptions& o) {
  const auto lo = x_low.doubles(), hi = x_high.doubles(), prev = x_prev.doubles();
  const size_t n = active.size(), d = lo.size() / std::max<size_t>(n, 1);
  std::vector<char> take(n, 0);
  for (size_t r = 0; r < n; ++r) {
    if (!active[r]) continue;
    double sq = 0;
    for (size_t k = r * d; k < (r + 1) * d; ++k) {
      const double delta = std::max(o.atol, o.rtol * std::max(std::abs(lo[k]), std::abs(prev[k])));
      sq += (lo[k] - hi[k]) * (lo[k] - hi[k]) / (delta * delta);
    }
    take[r] = pid[r].propose(std::sqrt(sq / static_cast<double>(std::max<size_t>(d, 1))));
  }
  return take;
}

// Fresh noise of su[r] on each accepted row. Each sample's k-th accepted step draws row r
// of independent stream k, so its noise is fixed by the seed, its index and its own step
// count.
State with_ancestral_noise(State moved, const std::vector<char>& take, const std::vector<double>& su,
                           const std::vector<int64_t>& accepted, double s_noise, NoiseSource& noise) {
  const size_t n = take.size();
  std::vector<double> scale(n, 0.0);
  int64_t k_min = INT64_MAX, k_max = -1;
  for (size_t r = 0; r < n; ++r)
    if (take[r] && su[r] > 0) k_min = std::min(k_min, accepted[r]), k_max = std::max(k_max, accepted[r]);
  for (int64_t k = k_min; k <= k_max; ++k) {
    std::vector<char> rows(n, 0);
    bool any_k = false;
    for (size_t r = 0; r < n; ++r) {
      rows[r] = take[r] && su[r] > 0 && accepted[r] == k;
      scale[r] = rows[r] ? su[r] * s_noise : 0.0;
      any_k = any_k || rows[r];
    }
    if (!any_k) continue;
    const State z = moved.like(noise.independent(static_cast<uint64_t>(k), moved.shape())).scale_rows(scale);
    moved = State::select_rows(rows, moved + z, moved);
  }
  return moved;
}

State dpm_adaptive(PfOde& ode, const std::vector<double>& t, State x, NoiseSource& noise,
                   const DpmAdaptiveOptions& o) {
  const Process& p = ode.process();
  const bool to_zero = !(p.sigma(t.back()) > 0);
  if (to_zero && t.size() < 3)
    throw std::invalid_argument("dpm_adaptive: the grid must reach a positive sigma before 0");
  const double t_end = to_zero ? t[t.size() - 2] : t.back();
  const size_t n = static_cast<size_t>(x.rows());
  const double lam0 = -std::log(p.sigma(t.front())), lam_end = -std::log(p.sigma(t_end));
  // eps(x_hat; lambda) = (x_hat - D(x_hat; sigma)) / sigma, row r at lambda[r].
  auto eps = [&](const State& xh, const std::vector<double>& lam, const std::vector<char>& counts) {
    const auto sig = per_row(lam, [&](double l, size_t) { return sigma_of(l); });
    return (xh - ode.denoise_rows(xh, sig, counts)).scale_rows(per_row(sig, [](double s, size_t) { return 1.0 / s; }));
  };
  State x_hat = x * (1.0 / p.s(t.front()));
  std::vector<double> lam(n, lam0);
  std::vector<PidStepControl> pid(n, PidStepControl(std::abs(o.h_init), o, o.eta > 0 ? 1.5 : o.order));
  std::vector<int64_t> accepted(n, 0), attempts(n, 0);
  std::vector<char> active(n), stale(n, 1), counts(n);
  State x_prev = x_hat, eps_0 = x_hat;
  while (true) {
    bool any = false, any_stale = false;
    for (size_t r = 0; r < n; ++r) {
      active[r] = lam[r] < lam_end - 1e-5;
      any = any || active[r];
      counts[r] = active[r] && stale[r];
      any_stale = any_stale || counts[r];
      if (active[r] && ++attempts[r] > o.max_attempts)
        throw std::runtime_error("dpm_adaptive: no convergence in " + std::to_string(o.max_attempts) +
                                 " attempted steps of sample " + std::to_string(r) + " (loosen rtol / atol)");
    }
    if (!any) break;
    if (any_stale) {  // the first evaluation of a step, for the rows that moved
      eps_0 = State::select_rows(counts, eps(x_hat, lam, counts), eps_0);
      for (size_t r = 0; r < n; ++r) stale[r] = stale[r] && !counts[r];
    }
    const StepTargets target = step_targets(lam, active, pid, lam_end, o);
    const auto h = per_row(target.lam_to, [&](double l, size_t r) { return l - lam[r]; });
    const auto sig_to = per_row(target.lam_to, [&](double l, size_t) { return sigma_of(l); });
    const auto [x_low, x_high] = embedded_pair(o.order, x_hat, eps_0, lam, h, sig_to,
                                               [&](const State& u, const std::vector<double>& s) { return eps(u, s, active); });
    const std::vector<char> take = accepted_rows(x_low, x_high, x_prev, active, pid, o);
    const State moved = o.eta > 0 ? with_ancestral_noise(x_high, take, target.su, accepted, o.s_noise, noise) : x_high;
    x_prev = State::select_rows(take, x_low, x_prev);
    x_hat = State::select_rows(take, moved, x_hat);
    for (size_t r = 0; r < n; ++r)
      if (take[r]) lam[r] = target.lam_t[r], stale[r] = 1, ++accepted[r];
  }
  State out = x_hat * p.s(t_end);
  if (to_zero) out = out + ode.derivative(out, t_end) * (t.back() - t_end);
  return out;
}

std::unique_ptr<Sampler> make_dpm_adaptive(const AnyOptions& options, const SamplerSettings& f) {
  const auto& a = options.as<DpmAdaptiveOptions>();
  return std::make_unique<SteppingSampler<DpmAdaptiveOptions>>("dpm_adaptive", a.stochastic(), dpm_adaptive, a, f,
                                                               /*adaptive=*/true);
}

}  // namespace

const std::vector<SamplerEntry>& adaptive_sampler_entries() {
  // No brownian_tree noise: each sample sits at its own sigma, and a tree shared by the
  // batch answers one sigma at a time.
  static const std::vector<SamplerEntry> rows{
      {.name = "dpm_adaptive",
       .doc = "adaptive DPM-Solver (embedded orders 2/3 in log sigma, PID steps per sample) over the "
              "process's whole sigma range; steps and grid unused",
       .defaults = AnyOptions::of<DpmAdaptiveOptions>(),
       .steps = 2,
       .make = make_dpm_adaptive,
       .adaptive = true,
       .order = [](const AnyOptions& o) {
         const auto& a = o.as<DpmAdaptiveOptions>();
         return a.stochastic() ? 0.0 : a.order;
       },
       .nfe = adaptive_nfe},
  };
  return rows;
}

}  // namespace genlab
