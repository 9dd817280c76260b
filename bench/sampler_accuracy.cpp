// The sampler accuracy table: every sampler on an exact Gaussian mixture at several
// step counts, with its NFE, the RMS distance to an rk45 reference solution (rtol = atol
// = 1e-8) from the same noise (deterministic samplers), and sliced Wasserstein and MMD
// to exact samples, next to the floor of two exact sets of the same size.
//
//   build/sampler_accuracy [--process edm] [--mixture eight_gaussians] [--n 8000]
//                          [--precision float32|float64] [--noise independent|brownian_tree]
//                          [--only NAME,NAME] [--steps 18,256]
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "genlab/core/ops.h"
#include "genlab/experiments/eval/metrics.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

using namespace genlab;

int main(int argc, char** argv) {
  CLI::App app{"Sampler accuracy on an exact Gaussian mixture"};
  std::string process = "edm", mixture = "eight_gaussians", grid = "edm";
  int64_t n = 8000, n_ref = 1000;
  std::string precision = "float32", noise_kind = "independent", only;
  std::vector<int> steps_override;
  app.add_option("--process", process, "vp | ve | edm | flow")->capture_default_str();
  app.add_option("--grid", grid, "time grid kind")->capture_default_str();
  app.add_option("--mixture", mixture, "eight_gaussians | grid25")->capture_default_str();
  app.add_option("--n", n, "samples for the distribution metrics")->capture_default_str();
  app.add_option("--n-ref", n_ref, "samples compared with the rk45 reference")->capture_default_str();
  app.add_option("--precision", precision, "float32 | float64 stepping")->capture_default_str();
  app.add_option("--noise", noise_kind, "independent | brownian_tree (samplers that take it)")
      ->capture_default_str();
  app.add_option("--only", only, "comma-separated sampler names (default: all rows)");
  app.add_option("--steps", steps_override, "step counts for every row (default: each row's)")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  const Precision prec = parse_precision(precision);
  const NoiseKind noise_k = parse_noise_kind(noise_kind);

  const GaussianMixture gm =
      mixture == "grid25" ? GaussianMixture::grid25() : GaussianMixture::eight_gaussians();
  const auto p = make_process(process);
  Generator exact_rng(11);
  const Tensor exact = gm.sample(n, exact_rng);
  // The floor: mean over 4 pairs of independent exact sets (a single pair's sliced W2
  // varies by about +-50%, mostly with how many points each mode got).
  double floor_sw = 0, floor_mmd = 0;
  for (int k = 0; k < 4; ++k) {
    const Tensor e1 = gm.sample(n, exact_rng), e2 = gm.sample(n, exact_rng);
    floor_sw += sliced_wasserstein(e1, e2) / 4, floor_mmd += mmd_rbf(e1, e2) / 4;
  }
  std::printf("# %s, process %s, grid %s, %lld samples, %s stepping, %s noise\n", mixture.c_str(),
              process.c_str(), grid.c_str(), static_cast<long long>(n), precision.c_str(),
              noise_kind.c_str());
  std::printf("# floor (two exact sets, mean of 4 pairs): sliced W2 %.4f, MMD^2 %.2e\n", floor_sw,
              floor_mmd);

  const Generator g = Generator(7).derive("sampling");
  const Tensor noise = g.derive("init").normal_rows({n, gm.dims()}, 0);
  const Tensor noise_ref = slice(noise, 0, 0, n_ref);
  const auto ref_grid = make_time_grid(*p, {.kind = grid, .steps = 2});
  const auto reference = make_sampler("rk45", {{"rtol", 1e-8}, {"atol", 1e-8}},
                                      SamplerSettings{.precision = Precision::float64});
  const auto ref = reference->sample(gm, *p, ref_grid, noise_ref);
  std::printf("# rk45 reference: %lld NFE\n\n", static_cast<long long>(ref.nfe));
  std::printf("| sampler | steps | NFE | RMS to rk45 ref | sliced W2 | MMD^2 |\n|---|---|---|---|---|---|\n");

  struct Row {
    std::string name;
    SamplerParams params;
    std::vector<int> steps;
    std::string label = "";  // the options that differ from the defaults
  };
  const std::vector<Row> rows{
      {"euler", {}, {10, 25, 50, 100}},          {"heun", {}, {5, 10, 18, 50}},
      {"ddim", {}, {10, 25, 50, 100}},           {"dpmpp_2m", {}, {5, 10, 25, 50}},
      {"rk4", {}, {5, 10, 25}},                  {"rk45", {}, {2}},
      {"edm_stochastic", {}, {18, 32, 64, 128}}, {"euler_maruyama", {}, {50, 100, 250, 500}},
      {"euler_ancestral", {}, {50, 100, 200, 400}}, {"pc", {}, {50, 100, 250, 500}},
      // Round two (issue 18).
      {"lms", {}, {10, 25, 50, 100}},
      {"unipc", {}, {5, 10, 25, 50}},
      {"unipc", {{"order", 3}}, {5, 10, 25, 50}, "order 3"},
      {"unipc", {{"order", 3}, {"solver_type", 0}}, {5, 10, 25, 50}, "order 3, bh1"},
      {"dpm_adaptive", {}, {2}},
      {"dpm_adaptive", {{"rtol", 1e-3}, {"atol", 1e-3}}, {2}, "rtol = atol = 1e-3"},
      {"dpmpp_2s_ancestral", {}, {10, 25, 50, 100}},
      {"dpmpp_2s_ancestral", {{"eta", 0}}, {10, 25, 50}, "eta 0"},
      {"dpmpp_sde", {}, {10, 25, 50, 100}},
      {"dpmpp_2m_sde", {}, {25, 50, 100, 200}},
      {"dpmpp_2m_sde", {{"solver_type", 1}}, {25, 50, 100, 200}, "heun"},
      {"dpmpp_3m_sde", {}, {25, 50, 100, 200}},
      {"dpmpp_3m_sde", {{"eta", 0}}, {10, 25, 50}, "eta 0"},
      {"restart", {}, {10, 18, 35}},
  };
  for (const auto& row : rows) {
    if (!only.empty() && ("," + only + ",").find("," + row.name + ",") == std::string::npos) continue;
    const SamplerSettings settings{.precision = prec,
                                   .noise = sampler_takes_noise(row.name) ? noise_k : NoiseKind::independent};
    const auto sampler = make_sampler(row.name, row.params, settings);
    const std::string label = row.label.empty() ? row.name : row.name + " (" + row.label + ")";
    for (int steps : steps_override.empty() || row.name.find("adaptive") != std::string::npos || row.name == "rk45"
                         ? row.steps : steps_override) {
      const auto t = make_time_grid(*p, {.kind = grid, .steps = steps});
      const auto r = sampler->sample(gm, *p, t, noise, {g.derive("steps"), 0});
      std::string ref_err = "-";
      if (!sampler->stochastic()) {
        const Tensor d = slice(r.x, 0, 0, n_ref) - ref.x;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2e", std::sqrt(mean(square(d)).item()));
        ref_err = buf;
      }
      std::printf("| %s | %s | %lld | %s | %.4f | %.2e |\n", label.c_str(),
                  sampler_is_adaptive(row.name) ? "adaptive" : std::to_string(steps).c_str(),
                  static_cast<long long>(r.nfe), ref_err.c_str(),
                  sliced_wasserstein(r.x, exact), mmd_rbf(r.x, exact));
      std::fflush(stdout);
    }
  }
}
