// The whole product: every registered sampler x every process x every grid kind x
// {float32, float64} x {independent, brownian_tree where taken}, on exact Gaussian mixtures
// (the 2-D 8-Gaussians and a 6-D full-covariance one). What each combination must do is
// read from the sampler's registry row, so a new sampler, process or grid joins by being
// registered:
//   - deterministic at its options (sampler_order > 0): converges to a float64 reference
//     of the same noise at its order, capped by the grid's grid_order_cap (flow, vp), and
//     float32 stepping agrees with float64 up to the state's rounding;
//   - stochastic: its samples match the exact mixture in MMD within the null band, and with
//     brownian_tree its N- and 4N-step samples approach each other;
//   - adaptive: meets its tolerance, the same answer on every grid, each sample's path and
//     count independent of its batch;
//   - NFE equals the registry's count (sampler_nfe).
// [product] runs a reduced form in CI (fewer samples, the 6-D mixture on two grids);
// GENLAB_PRODUCT=full (bench/sampler_product.sh) runs everything and prints the measured
// orders (bench/README.md, "The sampler product").
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "genlab/core/ops.h"
#include "genlab/experiments/eval/metrics.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"
#include "tests/samplers/sampler_test_helpers.h"

using namespace genlab;

namespace {

bool full_product() {
  const char* v = std::getenv("GENLAB_PRODUCT");
  return v && std::string(v) == "full";
}

double rms(const Tensor& a, const Tensor& b) { return std::sqrt(mean(square(a - b)).item()); }

// The median over samples of each one's error norm: the order of a typical sample. (A
// sample near the boundary between two modes converges late, and in an RMS over 128
// samples one of them can hide the order of the rest: 6-D, euler, 128 -> 256 steps.)
double median_error(const Tensor& a, const Tensor& b) {
  const std::vector<float> d = square(a - b).to_vector();
  const int64_t n = a.size(0), dims = a.numel() / n;
  std::vector<double> e(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < dims; ++j) s += d[static_cast<size_t>(i * dims + j)];
    e[static_cast<size_t>(i)] = std::sqrt(s);
  }
  std::nth_element(e.begin(), e.begin() + n / 2, e.end());
  return e[static_cast<size_t>(n / 2)];
}

struct Target {
  std::string name;
  GaussianMixture gm;
};

std::vector<Target> targets() {
  return {{"8gauss-2d", GaussianMixture::eight_gaussians()}, {"random-6d", GaussianMixture::random(6, 4, 7)}};
}

SampleResult run(const std::string& name, const Denoiser& d, const Process& p, const std::vector<double>& t,
                 const Tensor& noise, const SamplerParams& params, const SamplerSettings& s, int64_t first_row = 0) {
  return make_sampler(name, params, s)->sample(d, p, t, noise, {Generator(11).derive("steps"), first_row});
}

std::vector<double> grid(const Process& p, const std::string& kind, int steps) {
  return make_time_grid(p, {.kind = kind, .steps = steps});
}

// The limit every sampler on grid `kind` converges to: the ODE's solution from the noise,
// in float64 (rk4, 2048 steps of EDM's grid: ~1e-10), down to the grid's last positive
// sigma, then D there (the final step). That sigma is the process's sigma_min for every
// grid but flow, which runs into 0 itself: its reference stops at 1e-5 (D there is x(0)
// to O(1e-10)).
Tensor reference(const Denoiser& d, const Process& p, const Tensor& noise, const std::string& kind) {
  const double sigma_end = kind == "flow" ? 1e-5 : p.sigma_min();
  auto t = make_time_grid(p, {.kind = "edm", .steps = 2048, .sigma_min = sigma_end});
  t.pop_back();  // stop at sigma_end
  const Tensor x = run("rk4", d, p, t, noise, {}, SamplerSettings{.precision = Precision::float64}).x;
  const double s = p.s(t.back());
  const Tensor den = d.denoise(x * static_cast<float>(1.0 / s),
                               Tensor::full({x.size(0)}, static_cast<float>(sigma_end), x.device()));
  return den * static_cast<float>(p.s(p.t_of_sigma(0.0)));
}

// Step counts in each order's asymptotic range, above the float32 network's floor (~1e-7);
// the flow grid converges only past ~256 steps (time_grid.h).
std::pair<int, int> step_pair(double order, const std::string& kind) {
  if (kind == "flow") return {256, 512};
  if (order >= 4) return {48, 96};
  if (order >= 3) return {48, 96};
  if (order >= 2) return {64, 128};
  return {128, 256};
}

// The registered variants of each sampler worth proving: its defaults, plus the options
// that change its order or make a stochastic one deterministic.
std::vector<std::pair<std::string, SamplerParams>> variants() {
  std::vector<std::pair<std::string, SamplerParams>> out;
  for (const auto& name : sampler_names()) {
    out.push_back({name, {}});
    const auto defaults = option_values(sampler_defaults(name));
    if (defaults.count("eta") && defaults.at("eta") != "0") out.push_back({name, {{"eta", 0.0}}});
    if (defaults.count("S_churn")) out.push_back({name, {{"S_churn", 0.0}}});
    if (defaults.count("restart_times")) out.push_back({name, {{"restart_times", 0.0}}});
    if (name == "lms")
      for (double k : {1, 2, 3}) out.push_back({name, {{"order", k}}});
    if (name == "unipc")
      for (double k : {1, 3}) out.push_back({name, {{"order", k}}});
    if (name == "dpm_adaptive") out.push_back({name, {{"order", 2}}});
  }
  return out;
}

std::string describe(const std::string& name, const SamplerParams& o) {
  std::string s = name;
  for (const auto& [k, v] : o) s += " " + k + "=" + v.text;
  return s;
}

}  // namespace

TEST_CASE("sampler product: deterministic samplers converge at their registered order, "
          "on every process and grid, in both precisions", "[samplers][product]") {
  const bool full = full_product();
  const int64_t n = full ? 128 : 32;
  for (const auto& target : targets()) {
    const Tensor noise = Generator(41).normal_rows({n, target.gm.dims()}, 0);
    for (const auto& process : process_names()) {
      const auto p = make_process(process);
      for (const auto& kind : time_grid_kinds()) {
        const Tensor ref = reference(target.gm, *p, noise, kind);
        // Reduced: the 6-D mixture on each process's default grid and the flow grid.
        if (!full && target.name != "8gauss-2d" && kind != default_grid_kind(process) && kind != "flow") continue;
        for (const auto& [name, o] : variants()) {
          const double order = sampler_order(name, o);
          if (order <= 0 || sampler_is_adaptive(name)) continue;
          if (!sampler_grid_warning(name, kind).empty()) continue;  // registered as unstable there
          const double expected = std::min(order, grid_order_cap(kind));
          const auto [n1, n2] = step_pair(expected, kind);
          std::vector<double> e64;
          for (int steps : {n1, n2}) {
            const auto t = grid(*p, kind, steps);
            const auto r64 = run(name, target.gm, *p, t, noise, o, {.precision = Precision::float64});
            const auto r32 = run(name, target.gm, *p, t, noise, o, {});
            CHECK(r64.nfe == sampler_nfe(name, steps, o));
            CHECK(r32.nfe == r64.nfe);
            e64.push_back(median_error(r64.x, ref));
            // float32: the same solution up to the state's rounding (where it is
            // O(sigma_max) large: ~1e-5 relative).
            CHECK(rms(r32.x, r64.x) < 2e-4);
          }
          const double slope = std::log(e64[0] / e64[1]) / std::log(static_cast<double>(n2) / n1);
          INFO(target.name << " " << process << " grid " << kind << " " << describe(name, o) << ": error "
                           << e64[0] << " at " << n1 << ", " << e64[1] << " at " << n2 << ", order " << slope
                           << " (registered " << order << ", expected " << expected << ")");
          if (full || std::getenv("GENLAB_PRODUCT_PRINT"))
            std::printf("order %-10s %-5s %-10s %-34s %9.3g %9.3g %5.2f (%g)\n", target.name.c_str(),
                        process.c_str(), kind.c_str(), describe(name, o).c_str(), e64[0], e64[1], slope, expected);
          // Converged below the float32 network's floor: nothing left to measure. A grid's
          // cap describes the step counts people use; once a sampler is below 2e-5 on it,
          // the cap no longer says how it goes on (lms on ve's vp grid: 1.0e-5 at 128 steps).
          if (e64[1] < 3e-7 || (grid_order_cap(kind) < order && e64[1] < 2e-5)) continue;
          // 0.8 of the order: the slopes of two step counts (measured: 0.86-1.2 x the order).
          CHECK(slope > 0.8 * expected);
        }
      }
    }
  }
}

TEST_CASE("sampler product: stochastic samplers match the exact mixture, and Brownian "
          "paths converge across step counts", "[samplers][product]") {
  const bool full = full_product();
  const GaussianMixture gm = GaussianMixture::eight_gaussians();
  const int64_t n = full ? 2000 : 600;
  // The null band: MMD^2 between independent exact sample sets of the same size.
  Generator rng(43);
  std::vector<double> null;
  for (int k = 0; k < 12; ++k) null.push_back(mmd_rbf(gm.sample(n, rng), gm.sample(n, rng), 1.0));
  double mu = 0, sd = 0;
  for (double v : null) mu += v / null.size();
  for (double v : null) sd += (v - mu) * (v - mu) / (null.size() - 1);
  sd = std::sqrt(sd);
  const double band = mu + 5 * sd + 1e-4;
  const Tensor exact = gm.sample(n, rng);
  const Tensor noise = Generator(44).normal_rows({n, 2}, 0);
  // The band rejects a 10% wrong denoiser.
  const genlab::testing::ScaledDenoiser wrong(gm, 0.9f);
  {
    const auto p = make_process("edm");
    CHECK(mmd_rbf(run("euler_ancestral", wrong, *p, grid(*p, "edm", 200), noise, {}, {}).x, exact, 1.0) > band);
  }
  for (const auto& process : process_names()) {
    const auto p = make_process(process);
    for (const auto& kind : time_grid_kinds()) {
      if (!full && kind != default_grid_kind(process)) continue;
      for (const auto& name : sampler_names()) {
        if (sampler_order(name) > 0) continue;
        for (NoiseKind noise_kind : {NoiseKind::independent, NoiseKind::brownian_tree}) {
          if (noise_kind == NoiseKind::brownian_tree && !sampler_takes_noise(name)) continue;
          if (!sampler_grid_warning(name, kind).empty()) continue;  // registered as unstable there
          const SamplerSettings s{.noise = noise_kind};
          // Twice the default steps: the comparison is of the sampler's law, not of its
          // discretization at a budget.
          const int steps = 2 * default_steps(name);
          const auto r = run(name, gm, *p, grid(*p, kind, steps), noise, {}, s);
          CHECK(r.nfe == sampler_nfe(name, steps));
          const double m = mmd_rbf(r.x, exact, 1.0);
          INFO(process << " grid " << kind << " " << name << " noise " << noise_kind_names()[int(noise_kind)]
                       << ": MMD^2 " << m << ", null band " << band << " (mean " << mu << ")");
          if (full)
            std::printf("law %-5s %-10s %-20s %-13s MMD^2 %9.2e band %9.2e\n", process.c_str(), kind.c_str(),
                        name.c_str(), noise_kind_names()[int(noise_kind)].c_str(), m, band);
          CHECK(m < band);
        }
        if (!sampler_takes_noise(name) || !sampler_grid_warning(name, kind).empty()) continue;
        // One Brownian path per sample: N and 4N steps approach each other as N grows.
        const Tensor few = slice(noise, 0, 0, 200);
        const SamplerSettings tree{.noise = NoiseKind::brownian_tree};
        auto gap = [&](int steps) {
          return rms(run(name, gm, *p, grid(*p, kind, steps), few, {}, tree).x,
                     run(name, gm, *p, grid(*p, kind, 4 * steps), few, {}, tree).x);
        };
        const double coarse = gap(16), fine = gap(128);
        INFO(process << " grid " << kind << " " << name << ": brownian_tree N vs 4N gap " << coarse << " at 16, "
                     << fine << " at 128");
        CHECK(fine < coarse / 1.5);  // measured 1.9 (edm_stochastic on ve) to 10
        CHECK(fine < 0.25);
      }
    }
  }
}

TEST_CASE("sampler product: adaptive samplers meet their tolerance on every process, "
          "whatever the grid, each sample independent of its batch", "[samplers][product]") {
  const bool full = full_product();
  for (const auto& target : targets()) {
    const int64_t n = full ? 256 : 64;
    const Tensor noise = Generator(45).normal_rows({n, target.gm.dims()}, 0);
    for (const auto& process : process_names()) {
      const auto p = make_process(process);
      const Tensor ref = reference(target.gm, *p, noise, "edm");
      for (const auto& [name, o] : variants()) {
        if (!sampler_is_adaptive(name) || sampler_order(name, o) <= 0) continue;
        // 0: the sampler's default tolerances (where k-diffusion's batch-wide error norm put
        // dpm_adaptive on flow 1.06 from the reference with 4000 samples, 0.12 with 2000).
        for (double tol : {0.0, 1e-3, 1e-5}) {
          SamplerParams opts = o;
          if (tol > 0) opts["rtol"] = tol, opts["atol"] = tol;
          const auto base = run(name, target.gm, *p, grid(*p, "edm", 18), noise, opts, {});
          const double err = rms(base.x, ref);
          INFO(target.name << " " << process << " " << describe(name, opts) << ": error " << err << ", NFE "
                           << base.nfe);
          if (full)
            std::printf("adaptive %-10s %-5s %-40s error %9.3g NFE %ld\n", target.name.c_str(), process.c_str(),
                        describe(name, opts).c_str(), err, static_cast<long>(base.nfe));
          // The global error within a few tolerances (plus the float32 network's floor): a
          // typical sample's, and the RMS, which a few samples dominate (rtol applies to
          // |x| ~ sigma_max early on: rk45 at 1e-3 on edm, RMS 17 tol, median under 10).
          const double rtol = tol > 0 ? tol : std::stod(option_values(sampler_defaults(name)).at("rtol"));
          CHECK(median_error(base.x, ref) < 10 * rtol + 2e-6);
          CHECK(err < 30 * rtol + 2e-6);
          // Steps and grid unused: every grid, at the default steps (the flow grid's two
          // steps once stopped rk45 half-way) or others, gives the same answer.
          for (const auto& kind : time_grid_kinds())
            for (int steps : {default_steps(name), 7}) {
              INFO("grid " << kind << ", " << steps << " steps");
              CHECK(max(abs(run(name, target.gm, *p, grid(*p, kind, steps), noise, opts, {}).x - base.x), {})
                        .item() < 3e-5);  // measured 1e-5: t(sigma_max) rounds differently per grid
            }
          // A sample's path does not depend on its batch: rows 5..12 alone give the rows of
          // the whole batch, up to the float32 network's batch-dependent rounding (1e-5
          // measured; a step size shared by the batch moves them by the tolerance).
          const Tensor alone = run(name, target.gm, *p, grid(*p, "edm", 18), slice(noise, 0, 5, 13), opts, {}, 5).x;
          CHECK(max(abs(alone - slice(base.x, 0, 5, 13)), {}).item() < 1e-4);
        }
      }
    }
  }
}
