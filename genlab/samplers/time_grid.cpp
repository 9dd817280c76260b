#include "genlab/samplers/time_grid.h"

#include <cmath>
#include <functional>
#include <stdexcept>

namespace genlab {
namespace {
// Chosen from the edm / flow / shifted-flow table in bench/README.md.
constexpr const char* kFlowDefaultGrid = "flow";
}  // namespace
namespace {

// The default VP process (beta_d = 19.9, beta_min = 0.1) defines the "vp" spacing.
double vp_time(double sigma) {
  const double b = 0.1, d = 19.9;
  return (std::sqrt(b * b + 2.0 * d * std::log1p(sigma * sigma)) - b) / d;
}
double vp_sigma(double t) {
  return std::sqrt(std::expm1(0.5 * 19.9 * t * t + 0.1 * t));
}

// n points evenly spaced in u = to_u(sigma) from sigma_max to sigma_min, then sigma = 0.
std::vector<double> spaced(int n, double smin, double smax,
                           const std::function<double(double)>& to_u,
                           const std::function<double(double)>& from_u) {
  const double u0 = to_u(smax), u1 = to_u(smin);
  std::vector<double> sigmas;
  for (int i = 0; i < n; ++i) {
    const double frac = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    sigmas.push_back(from_u(u0 + frac * (u1 - u0)));
  }
  sigmas.push_back(0.0);
  return sigmas;
}

}  // namespace

std::string default_grid_kind(const std::string& process) {
  return process == "flow" ? kFlowDefaultGrid : "edm";
}

double grid_order_cap(const std::string& kind) {
  if (kind == "flow") return 1.5;
  if (kind == "vp") return 1.0;
  return 1e9;
}

const std::vector<std::string>& time_grid_kinds() {
  static const std::vector<std::string> kinds{"edm", "vp", "ve", "flow", "log_sigma"};
  return kinds;
}

std::vector<double> make_time_grid(const Process& p, const GridOptions& o) {
  if (o.steps < 1)
    throw std::invalid_argument("time grid: steps must be >= 1, got " + std::to_string(o.steps));
  const double smin = o.sigma_min > 0 ? o.sigma_min : p.sigma_min();
  const double smax = o.sigma_max > 0 ? o.sigma_max : p.sigma_max();
  if (!(smin < smax)) throw std::invalid_argument("time grid: need sigma_min < sigma_max");
  std::vector<double> sigmas;
  const int n = o.steps;
  if (o.kind == "edm") {
    if (!(o.rho > 0)) throw std::invalid_argument("time grid: rho must be > 0");
    sigmas = spaced(
        n, smin, smax, [&](double s) { return std::pow(s, 1.0 / o.rho); },
        [&](double u) { return std::pow(u, o.rho); });
  } else if (o.kind == "vp") {
    sigmas = spaced(n, smin, smax, vp_time, vp_sigma);
  } else if (o.kind == "ve") {
    // EDM's VE grid, sigma_i^2 = smax^2 (smin^2 / smax^2)^(i / (n - 1)), written as
    // geometric spacing of sigma^2. (The same points as "log_sigma": geometric in sigma^2
    // is uniform in log sigma; both names are kept because both are in use.)
    sigmas = spaced(
        n, smin, smax, [](double s) { return std::log(s * s); },
        [](double u) { return std::sqrt(std::exp(u)); });
  } else if (o.kind == "log_sigma") {
    sigmas = spaced(
        n, smin, smax, [](double s) { return std::log(s); }, [](double u) { return std::exp(u); });
  } else if (o.kind == "flow") {
    if (!(o.shift > 0)) throw std::invalid_argument("time grid: shift must be > 0");
    const double t0 = smax / (1.0 + smax);
    for (int i = 0; i <= n; ++i) {
      const double u = t0 * (1.0 - static_cast<double>(i) / n);
      const double t = o.shift * u / (1.0 + (o.shift - 1.0) * u);
      sigmas.push_back(t / (1.0 - t));
    }
  } else {
    std::string allowed;
    for (const auto& k : time_grid_kinds()) allowed += (allowed.empty() ? "" : ", ") + k;
    throw std::invalid_argument("unknown time grid '" + o.kind + "' (allowed: " + allowed + ")");
  }
  std::vector<double> t;
  for (double s : sigmas) t.push_back(p.t_of_sigma(s));
  return t;
}

std::vector<double> karras_times(const Process& p, int n, double rho) {
  return make_time_grid(p, {.kind = "edm", .steps = n, .rho = rho});
}

}  // namespace genlab
