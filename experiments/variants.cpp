#include "genlab/experiments/variants.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "genlab/core/ops.h"
#include "genlab/experiments/metrics.h"
#include "genlab/experiments/variants_table.h"
#include "genlab/samplers/likelihood.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

namespace genlab {

std::map<std::string, double> distribution_metrics(const Tensor& x, const Tensor& reference) {
  return {{"sliced_wasserstein", sliced_wasserstein(x, reference)},
          {"mmd", mmd_rbf(x, reference)},
          {"energy", energy_distance(x, reference)}};
}

namespace {

// The fresh data the sample metrics compare against: one draw of the "reference" stream,
// the same for the periodic evaluation and the variants.
Tensor reference_data(const ExperimentConfig& c, const Dataset& data, const Generator& root) {
  Generator rng = root.derive("reference");
  return data.draw(c.evaluate.samples, rng);
}

}  // namespace

VariantContext make_variant_context(const SamplingTarget& target, const ExperimentConfig& c,
                                    const Dataset& data, const Generator& root) {
  VariantContext ctx;
  ctx.target = target;
  ctx.process = make_process(target.process);
  ctx.reference = reference_data(c, data, root);
  ctx.sampling = root.derive("sampling");
  ctx.noise = ctx.sampling.derive("init").normal_rows({c.evaluate.samples, data.dims()}, 0);
  // The discretization error's reference, for every target (a trained network as well as
  // an exact mixture): rk45 at rtol = atol = 1e-6 from the first kRk45ReferenceSamples of
  // the shared noise. A variant's rk45_distance is then its samplers' error alone.
  const int64_t n_ref = std::min<int64_t>(kRk45ReferenceSamples, c.evaluate.samples);
  ctx.rk45_reference =
      make_sampler("rk45", {{"rtol", 1e-6}, {"atol", 1e-6}})
          ->sample(*target.denoiser, *ctx.process, make_time_grid(*ctx.process, {.steps = 2}),
                   slice(ctx.noise, 0, 0, n_ref))
          .x;
  return ctx;
}

SummaryRow run_variant(const VariantContext& ctx, const SamplerVariant& v, RunFile& file) {
  GridOptions grid = v.grid;
  grid.steps = v.steps;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = make_sampler(v.sampler, v.options, parse_final_step(v.final_step))
                     ->sample(*ctx.target.denoiser, *ctx.process, make_time_grid(*ctx.process, grid),
                              ctx.noise, {ctx.sampling.derive("steps").derive(v.name), 0});
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SummaryRow row;
  row.text = {{"name", v.name}, {"sampler", v.sampler}, {"grid", v.grid.kind}};
  row.numbers = distribution_metrics(r.x, ctx.reference);
  // An adaptive sampler has no step count of its own: its NFE says what it took.
  row.numbers["steps"] = sampler_is_adaptive(v.sampler) ? std::nan("") : v.steps;
  row.numbers["nfe"] = static_cast<double>(r.nfe),
  row.numbers["wall_s"] = wall;
  const Tensor d = slice(r.x, 0, 0, ctx.rk45_reference.size(0)) - ctx.rk45_reference;
  row.numbers["rk45_distance"] = std::sqrt(mean(square(d)).item());
  if (const GaussianMixture* exact = ctx.target.exact) {
    const Tensor sig = Tensor::full({r.x.size(0)}, 1e-3f);
    row.numbers["exact_log_density"] = mean(exact->log_density(r.x, sig)).item();
  }
  std::map<std::string, std::string> attrs{{"sampler", v.sampler},
                                           {"steps", std::to_string(v.steps)},
                                           {"grid", v.grid.kind},
                                           {"rho", std::to_string(v.grid.rho)},
                                           {"shift", std::to_string(v.grid.shift)},
                                           {"final_step", v.final_step}};
  for (const auto& [k, val] : v.options) attrs["option." + k] = std::to_string(val);
  file.write_variant(v.name, r.x, attrs);
  return row;
}

SampleEvaluator::SampleEvaluator(const ExperimentConfig& c, const Dataset& data,
                                 const Generator& root)
    : eval_steps_(c.evaluate.eval_steps) {
  reference_ = reference_data(c, data, root);
  noise_ = root.derive("sampling").derive("eval").normal_rows({c.evaluate.samples, data.dims()}, 0);
}

std::map<std::string, double> SampleEvaluator::operator()(const SamplingTarget& target) const {
  const auto process = make_process(target.process);
  const auto t = make_time_grid(*process, {.kind = "edm", .steps = eval_steps_});
  return distribution_metrics(
      make_sampler("heun")->sample(*target.denoiser, *process, t, noise_).x, reference_);
}

void evaluate_likelihood(const SamplingTarget& target, const ExperimentConfig& c,
                         const Dataset& data, const Generator& root, int64_t step, RunFile& file,
                         std::ostream& out) {
  Generator held_out = root.derive("held_out");
  const Tensor x0 = data.draw(c.evaluate.likelihood_samples, held_out);
  LikelihoodOptions lo;
  lo.trace = c.evaluate.likelihood_trace;
  lo.sigma_data = target.sigma_data;
  const auto lr = pf_ode_likelihood(*target.denoiser, x0, lo, {root.derive("probes"), 0});
  const double nll = mean(lr.nll_nats).item(), bpd = mean(lr.bits_per_dim).item();
  std::map<std::string, double> row{{"step", double(step)},
                                    {"nll_nats", nll},
                                    {"bits_per_dim", bpd},
                                    {"nfe", double(lr.nfe)}};
  std::map<std::string, Tensor> points{{"x", x0}, {"nll_nats", lr.nll_nats}};
  if (target.exact) {
    const Tensor exact = target.exact->log_density(x0, Tensor::full({x0.size(0)}, static_cast<float>(lo.sigma_min)));
    points["exact_log_density"] = exact;
    row["exact_nll_nats"] = -mean(exact).item();
  }
  file.append("likelihood", row);
  file.write_tensors("likelihood_points", points);
  out << "likelihood (PF-ODE, " << lo.trace << "): " << format_number(nll) << " nats, "
      << format_number(bpd) << " bits/dim, " << lr.nfe << " NFE";
  if (target.exact) out << " (exact: " << format_number(row["exact_nll_nats"]) << " nats)";
  out << "\n";
}

}  // namespace genlab
