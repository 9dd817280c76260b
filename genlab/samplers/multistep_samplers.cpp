// Linear multistep samplers: lms (Adams-Bashforth in sigma with variable steps, as
// k-diffusion's sample_lms) and unipc (UniPC, Zhao et al. 2023, as diffusers'
// UniPCMultistepScheduler with data prediction), in x_hat = x / s so that each runs on
// every process. docs/MATH.md section 8.
#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>

#include "genlab/samplers/sampler_registry.h"
#include "genlab/samplers/stepping_sampler.h"

namespace genlab {
namespace {

struct LmsOptions {
  int order = 4;
};
template <class V>
void fields(V& v, LmsOptions& o) {
  v.field("order", o.order, "how many past derivatives each step uses", between(1, 4));
}

// int_{s[i]}^{s[i+1]} prod_{k != j} (tau - s[i-k]) / (s[i-j] - s[i-k]) dtau: the weight of
// the derivative at s[i-j] in an Adams-Bashforth step of this order. The integrand is a
// polynomial of degree order - 1 <= 3; 4-point Gauss-Legendre integrates it exactly.
double lms_coefficient(int order, const std::vector<double>& s, size_t i, int j) {
  static const double nodes[4] = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
                                  0.8611363115940526};
  static const double weights[4] = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
                                    0.3478548451374538};
  const double a = s[i], b = s[i + 1];
  double total = 0;
  for (int q = 0; q < 4; ++q) {
    const double tau = 0.5 * (a + b) + 0.5 * (b - a) * nodes[q];
    double prod = 1;
    for (int k = 0; k < order; ++k)
      if (k != j) prod *= (tau - s[i - k]) / (s[i - j] - s[i - k]);
    total += weights[q] * prod;
  }
  return 0.5 * (b - a) * total;
}

// The ODE dx_hat/dsigma = (x_hat - D) / sigma by Adams-Bashforth of the given order (lower
// for the first steps, while the history fills).
State lms(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&, const LmsOptions& o) {
  const Process& p = ode.process();
  std::vector<double> sig(t.size());
  for (size_t i = 0; i < t.size(); ++i) sig[i] = p.sigma(t[i]);
  std::deque<State> ds;  // newest first
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    const State x_hat = x * (1.0 / p.s(t[i]));
    ds.push_front((x_hat - ode.denoise(x_hat, sig[i])) * (1.0 / sig[i]));
    if (static_cast<int>(ds.size()) > o.order) ds.pop_back();
    const int order = static_cast<int>(ds.size());
    State next_hat = x_hat;
    for (int j = 0; j < order; ++j) next_hat = next_hat + ds[j] * lms_coefficient(order, sig, i, j);
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

// UniPC's B(h): bh1 is h, bh2 is e^h - 1.
enum class UniPcForm { bh1, bh2 };
const std::vector<std::string>& names_of(UniPcForm) {
  static const std::vector<std::string> names{"bh1", "bh2"};
  return names;
}

struct UniPcOptions {
  int order = 2;
  UniPcForm solver_type = UniPcForm::bh2;
  bool lower_order_final = true;
  bool corrector = true;
};
template <class V>
void fields(V& v, UniPcOptions& o) {
  v.field("order", o.order, "the predictor's order", between(1, 3));
  v.field("solver_type", o.solver_type, "B(h): bh1 (h) or bh2 (e^h - 1)");
  v.field("lower_order_final", o.lower_order_final, "lower the order over the last steps");
  v.field("corrector", o.corrector, "the corrector (UniC) after each step");
}

// Solves the n x n system a z = b (n <= 3) by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[piv][c])) piv = r;
    std::swap(a[c], a[piv]), std::swap(b[c], b[piv]);
    for (size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> z(n);
  for (size_t c = n; c-- > 0;) {
    double v = b[c];
    for (size_t k = c + 1; k < n; ++k) v -= a[c][k] * z[k];
    z[c] = v / a[c][c];
  }
  return z;
}

struct History {
  double lambda;  // -ln sigma
  State den;      // D there
};

// The UniPC update of x_hat (at lambda of history.back()) to lambda_t with `order` history
// points: the exact linear part, minus B(h) times the rho-weighted divided differences
// D1_k = (D_k - D_0) / r_k; with `den_t` (the corrector, UniC) the new point's
// D(x_t) - D_0 enters as the last difference (r = 1). Coefficients as diffusers'
// multistep_uni_p_bh_update / multistep_uni_c_bh_update.
State unipc_update(const State& x_hat, const std::deque<History>& hist, double lambda_t, int order,
                   const UniPcOptions& o, const State* den_t) {
  const History& h0 = hist.back();
  const double h = lambda_t - h0.lambda;
  std::vector<double> rks;
  std::vector<State> d1s;
  for (int i = 1; i < order; ++i) {
    const History& hi = hist[hist.size() - 1 - i];
    const double rk = (hi.lambda - h0.lambda) / h;
    rks.push_back(rk);
    d1s.push_back((hi.den - h0.den) * (1.0 / rk));
  }
  rks.push_back(1.0);
  const double hh = -h, h_phi_1 = std::expm1(hh);
  const double b_h = o.solver_type == UniPcForm::bh1 ? hh : std::expm1(hh);
  double h_phi_k = h_phi_1 / hh - 1, factorial = 1;
  std::vector<std::vector<double>> r(order, std::vector<double>(order));
  std::vector<double> b(order);
  for (int i = 1; i <= order; ++i) {
    for (int k = 0; k < order; ++k) r[i - 1][k] = std::pow(rks[k], i - 1);
    b[i - 1] = h_phi_k * factorial / b_h;
    factorial *= i + 1;
    h_phi_k = h_phi_k / hh - 1 / factorial;
  }
  State out = x_hat * std::exp(-h) - h0.den * h_phi_1;
  State res;
  if (den_t) {
    std::vector<double> rho{0.5};
    if (order > 1) rho = solve(r, b);
    res = (*den_t - h0.den) * rho.back();
    for (size_t k = 0; k < d1s.size(); ++k) res = res + d1s[k] * rho[k];
  } else if (!d1s.empty()) {
    std::vector<double> rho{0.5};  // order 2: diffusers' simplified choice
    if (order > 2) {
      std::vector<std::vector<double>> rr(order - 1, std::vector<double>(order - 1));
      for (int i = 0; i < order - 1; ++i)
        for (int k = 0; k < order - 1; ++k) rr[i][k] = r[i][k];
      rho = solve(rr, std::vector<double>(b.begin(), b.end() - 1));
    }
    res = d1s[0] * rho[0];
    for (size_t k = 1; k < d1s.size(); ++k) res = res + d1s[k] * rho[k];
  }
  return res.defined() ? out - res * b_h : out;
}

// UniPC: at each grid point D is evaluated once; it corrects the point just reached (UniC,
// no extra evaluation) and then predicts the next (UniP). The order warms up from 1 and,
// with lower_order_final, drops to the steps that remain (counting the final step into
// sigma = 0 that follows a grid ending at a positive sigma). A step into sigma = 0 is D.
State unipc(PfOde& ode, const std::vector<double>& t, State x, NoiseSource&, const UniPcOptions& o) {
  const Process& p = ode.process();
  const int steps = static_cast<int>(t.size()) - 1;
  const int after = p.sigma(t.back()) > 0 ? 1 : 0;  // the final step the frame takes
  std::deque<History> hist;
  State last;
  int this_order = 1, warm = 0;
  for (int i = 0; i < steps; ++i) {
    const double sig = p.sigma(t[i]), sig_next = p.sigma(t[i + 1]), lambda = -std::log(sig);
    State x_hat = x * (1.0 / p.s(t[i]));
    const State den = ode.denoise(x_hat, sig);
    if (o.corrector && last.defined()) x_hat = unipc_update(last, hist, lambda, this_order, o, &den);
    hist.push_back({lambda, den});
    if (static_cast<int>(hist.size()) > o.order) hist.pop_front();
    this_order = o.lower_order_final ? std::min(o.order, steps - i + after) : o.order;
    this_order = std::min(this_order, warm + 1);
    warm = std::min(warm + 1, o.order);
    last = x_hat;
    const State next_hat = sig_next > 0 ? unipc_update(x_hat, hist, -std::log(sig_next), this_order, o, nullptr) : den;
    x = next_hat * p.s(t[i + 1]);
  }
  return x;
}

std::unique_ptr<Sampler> make_lms(const AnyOptions& o, const SamplerSettings& f) {
  return std::make_unique<SteppingSampler<LmsOptions>>("lms", false, lms, o.as<LmsOptions>(), f);
}

std::unique_ptr<Sampler> make_unipc(const AnyOptions& o, const SamplerSettings& f) {
  return std::make_unique<SteppingSampler<UniPcOptions>>("unipc", false, unipc, o.as<UniPcOptions>(), f);
}

}  // namespace

const std::vector<SamplerEntry>& multistep_sampler_entries() {
  static const std::vector<SamplerEntry> rows{
      {.name = "lms",
       .doc = "linear multistep (Adams-Bashforth in sigma, variable steps), order up to 4",
       .defaults = AnyOptions::of<LmsOptions>(),
       .steps = 25,
       .make = make_lms,
       // Adams-Bashforth in sigma on variable steps: k = 3, 4 measure 2.3-3.0 at 32-64
       // steps (the product test), so 2 is what it keeps.
       .order = [](const AnyOptions& o) { return std::min(o.as<LmsOptions>().order, 2) * 1.0; },
       .nfe = evaluations_per_step(1)},
      {.name = "unipc",
       .doc = "UniPC: multistep predictor (UniP) and corrector (UniC) in log sigma, order 1-3",
       .defaults = AnyOptions::of<UniPcOptions>(),
       .steps = 25,
       .make = make_unipc,
       // UniC should raise UniP-p's order by one (Zhao et al. 2023); measured, p = 2 gives
       // 2.5 and p = 3 3.3-3.4 at 32-96 steps, so p is what it keeps.
       .order = [](const AnyOptions& o) { return o.as<UniPcOptions>().order * 1.0; },
       .nfe = evaluations_per_step(1)},
  };
  return rows;
}

}  // namespace genlab
