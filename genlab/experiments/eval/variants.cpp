#include "genlab/experiments/eval/variants.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>

#include "genlab/core/ops.h"
#include "genlab/experiments/eval/metrics.h"
#include "genlab/experiments/run/progress.h"
#include "genlab/experiments/eval/sampling_progress.h"
#include "genlab/experiments/eval/variants_table.h"
#include "genlab/samplers/guidance.h"
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

// Rows [first, first + count) of x, or x itself when not split.
Tensor rows_of(const Tensor& x, const RowShare& share) {
  return x.defined() && share.count != x.size(0) ? x.narrow_rows(share.first, share.count) : x;
}

// Every rank's rows of a [n_r, ...] float tensor (undefined: none), concatenated in rank
// order into `shape` (the whole).
Tensor gather_rows(const Tensor& mine, Shape shape, const Communicator& comm) {
  std::string bytes;
  if (mine.defined() && mine.numel() > 0) {
    const Tensor host = mine.to(Device::cpu);
    bytes.assign(reinterpret_cast<const char*>(host.data()), 4 * static_cast<size_t>(host.numel()));
  }
  const auto all = comm.allgather(bytes);
  Tensor out = Tensor::empty(shape);
  size_t at = 0;
  for (const auto& b : all) {
    std::memcpy(reinterpret_cast<char*>(out.data()) + at, b.data(), b.size());
    at += b.size();
  }
  return out;
}

// Shares of the samples start at multiples of this many rows. A row's numbers then do not
// depend on the split: vectorized kernels treat a row by its offset modulo their packet
// (16 floats with AVX-512) and GEMM by its row panel (48 rows), and both divide 192, so
// each row meets the same code path as in one batch of all samples.
constexpr int64_t kShareAlignment = 192;

// This rank's share of n samples: all of them unless split over several ranks; blocks of
// kShareAlignment rows in rank order (a rank may get none).
RowShare sample_share(int64_t n, const Communicator& comm, bool split) {
  if (!split || comm.size() == 1) return {0, n};
  const int64_t blocks = (n + kShareAlignment - 1) / kShareAlignment;
  const RowShare b = row_share(blocks, comm.rank(), comm.size());
  const int64_t first = std::min(n, b.first * kShareAlignment);
  return {first, std::min(n, (b.first + b.count) * kShareAlignment) - first};
}

}  // namespace

Generator step_noise_stream(const VariantContext& ctx, const SamplerVariant& v) {
  // Brownian paths belong to (seed, sample row): every variant of a run, whatever its name
  // or step count, walks the same path, so that its samples converge to the others' as
  // the steps grow. Independent draws are the variant's own.
  return v.noise == "brownian_tree" ? ctx.sampling.derive("brownian")
                                    : ctx.sampling.derive("steps").derive(v.name);
}

Tensor variant_labels(const SamplerVariant& v, int64_t n, int64_t classes) {
  if (classes <= 0) return Tensor();
  std::vector<int32_t> l(static_cast<size_t>(n));
  const int32_t one = v.labels == "all" ? -1 : std::stoi(v.labels);
  for (int64_t i = 0; i < n; ++i) l[i] = one >= 0 ? one : static_cast<int32_t>(i % classes);
  return Tensor::from_indices(l, {n});
}

namespace {

// The classifier file of a run's image metrics, or "" for none (no image data, `none`,
// no test set, or `auto` on images other than 1x28x28).
std::string image_classifier_path(const ExperimentConfig& c, const Dataset& data) {
  if (!is_continuous_image_data(c.data) || c.evaluate.classifier == "none") return "";
  const Tensor test = data.test();
  if (!test.defined() || test.size(0) < 2) return "";  // no test set to compare with
  if (c.evaluate.classifier != "auto") return c.evaluate.classifier;
  if (data.channels() != 1 || data.height() != 28 || data.width() != 28) return "";
  return default_image_classifier_path();
}

}  // namespace

std::shared_ptr<const ImageMetrics> make_image_metrics(const ExperimentConfig& c, const Dataset& data) {
  const std::string path = image_classifier_path(c, data);
  if (path.empty()) return nullptr;
  try {
    return std::make_shared<ImageMetrics>(load_image_classifier(path), data.test(), data.test_labels());
  } catch (const std::exception& e) {
    throw ConfigError(std::string("evaluate.classifier: ") + e.what());
  }
}

void check_image_classifier(const ExperimentConfig& c, const Dataset& data) {
  const std::string path = image_classifier_path(c, data);
  if (path.empty()) return;
  try {
    const auto net = load_image_classifier(path);
    const std::vector<int64_t> image{data.channels(), data.height(), data.width()};
    if (net->options().image != image)
      throw std::runtime_error(path + ": the classifier takes " + std::to_string(net->options().image.at(0)) + "x" +
                               std::to_string(net->options().image.at(1)) + "x" +
                               std::to_string(net->options().image.at(2)) + " images; the data's are " +
                               std::to_string(image[0]) + "x" + std::to_string(image[1]) + "x" +
                               std::to_string(image[2]));
  } catch (const std::exception& e) {
    throw ConfigError(std::string("evaluate.classifier: ") + e.what() +
                      " (found before training; evaluate.classifier: none runs without the image metrics)");
  }
}

std::vector<uint8_t> image_grid(const Tensor& x, const std::vector<int64_t>& image,
                                int64_t& height, int64_t& width) {
  const int64_t n = std::min<int64_t>(x.size(0), 100), cols = std::min<int64_t>(n, 10);
  const int64_t rows = (n + cols - 1) / cols, c = image[0], h = image[1], w = image[2];
  height = rows * h, width = cols * c * w;
  std::vector<uint8_t> out(static_cast<size_t>(height * width), 0);
  const auto v = slice(x, 0, 0, n).to_vector();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t xx = 0; xx < w; ++xx) {
          const double g = std::clamp((v[((i * c + ch) * h + y) * w + xx] + 1.0) * 127.5, 0.0, 255.0);
          out[((i / cols) * h + y) * width + (i % cols) * c * w + ch * w + xx] =
              static_cast<uint8_t>(std::lround(g));
        }
  return out;
}

namespace {

// Samples with `sampler`, reporting progress to `out` (when given) as `what`: NFE of the
// known total (fixed-step samplers) or of the way through sigma (adaptive ones); a last
// line when it took long enough to report progress, unless the caller prints its own.
SampleResult sample_watched(std::ostream* out, const std::string& what, const std::string& sampler_name,
                            const Sampler& sampler, const Denoiser& d, const Process& p,
                            const std::vector<double>& t, const Tensor& noise,
                            const StepNoise& step_noise = {}, bool last_line = true) {
  if (!out) return sampler.sample(d, p, t, noise, step_noise);
  Progress line(*out, what, static_cast<double>(expected_nfe(sampler_name, sampler, d, p, t)), "NFE");
  const ProgressDenoiser watched(d, line, p.sigma_max(), p.sigma_min());
  SampleResult r = sampler.sample(watched, p, t, noise, step_noise);
  if (last_line) line.finish(std::to_string(r.nfe) + " NFE in " + format_duration(line.seconds()));
  return r;
}

}  // namespace

VariantContext make_variant_context(const SamplingTarget& target, const ExperimentConfig& c,
                                    const Dataset& data, const Generator& root, std::ostream* out) {
  VariantContext ctx;
  ctx.out = out;
  ctx.target = target;
  ctx.process = target.process;
  ctx.reference = reference_data(c, data, root);
  ctx.sampling = root.derive("sampling");
  ctx.noise = ctx.sampling.derive("init").normal_rows({c.evaluate.samples, data.dims()}, 0);
  if (is_continuous_image_data(c.data)) ctx.image = {data.channels(), data.height(), data.width()};
  ctx.image_metrics = make_image_metrics(c, data);
  ctx.bootstrap = {.replicates = c.evaluate.bootstrap, .confidence = c.evaluate.confidence, .seed = c.seed};
  if (!c.evaluate.rk45_reference) return ctx;
  // The discretization error's reference, for every target (a trained network as well as
  // an exact mixture): rk45 at rtol = atol = 1e-6 from the first kRk45ReferenceSamples of
  // the shared noise. A variant's rk45_distance is then its samplers' error alone. A
  // conditional target's reference is its conditional ODE for labels "all".
  const int64_t n_ref = std::min<int64_t>(kRk45ReferenceSamples, c.evaluate.samples);
  const int64_t classes = target.denoiser->num_classes();
  std::unique_ptr<Denoiser> labeled;
  if (classes > 0) {
    const SamplerVariant all_labels;  // labels: all
    labeled = std::make_unique<LabeledDenoiser>(*target.denoiser, variant_labels(all_labels, n_ref, classes));
  }
  // A step budget: a well-trained model's ODE takes tens to hundreds of steps; a diverged
  // one can take millions, for minutes to hours of nothing useful.
  constexpr int64_t kReferenceMaxSteps = 20000;
  const auto rk45 = make_sampler("rk45", {{"rtol", 1e-6}, {"atol", 1e-6}, {"max_steps", double(kReferenceMaxSteps)}});
  try {
    ctx.rk45_reference =
        sample_watched(out, "rk45 reference (" + std::to_string(n_ref) + " samples)", "rk45", *rk45,
                       labeled ? *labeled : *target.denoiser, *ctx.process,
                       make_time_grid(*ctx.process, {.steps = 2}), slice(ctx.noise, 0, 0, n_ref))
            .x;
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find("more than") == std::string::npos) throw;
    throw std::runtime_error("the rk45 reference took more than " + std::to_string(kReferenceMaxSteps) +
                             " steps for a sample: the model's ODE is that stiff (did training diverge? see its "
                             "loss curve); evaluate.rk45_reference: false samples the variants without it");
  }
  return ctx;
}

namespace {

// A variant's samples from the context's noise, split over the ranks for a fixed-step
// sampler (each rank then gathers), and whether its sampler is stochastic.
struct VariantSamples {
  SampleResult result;
  Tensor labels;  // the classes sampled (a conditional model), else undefined
  bool stochastic = false;
  double wall_s = 0;
};
VariantSamples draw_variant_samples(const VariantContext& ctx, const SamplerVariant& v, const Communicator& comm) {
  GridOptions grid = v.grid;
  grid.steps = v.steps;
  const int64_t classes = ctx.target.denoiser->num_classes();
  VariantSamples out;
  out.labels = variant_labels(v, ctx.noise.size(0), classes);
  // Whether to split must not depend on the rank (each rank then gathers), only on the run.
  const bool split = comm.size() > 1 && !sampler_is_adaptive(v.sampler);
  const RowShare mine = sample_share(ctx.noise.size(0), comm, split);
  std::unique_ptr<Denoiser> guided;
  if (classes > 0)
    guided = std::make_unique<GuidedDenoiser>(*ctx.target.denoiser, rows_of(out.labels, mine), v.guidance);
  const auto t0 = std::chrono::steady_clock::now();
  const SamplerSettings settings{.final_step = parse_final_step(v.final_step),
                                 .precision = parse_precision(v.precision),
                                 .noise = parse_noise_kind(v.noise)};
  const auto sampler = make_sampler(v.sampler, v.options, settings);
  out.stochastic = sampler->stochastic();
  SampleResult& r = out.result;
  if (mine.count > 0)
    r = sample_watched(ctx.out, "variant " + v.name, v.sampler, *sampler,
                       guided ? *guided : *ctx.target.denoiser, *ctx.process,
                       make_time_grid(*ctx.process, grid), rows_of(ctx.noise, mine),
                       {step_noise_stream(ctx, v), mine.first}, false);
  if (split) {
    r.x = gather_rows(r.x, ctx.noise.shape(), comm);
    // A fixed-step sampler's NFE does not depend on its rows: rank 0's (it always has
    // the first rows) on every rank, which a rank without rows would not know.
    double nfe = comm.rank() == 0 ? static_cast<double>(r.nfe) : 0.0;
    comm.allreduce_sum(&nfe, 1);
    r.nfe = static_cast<int64_t>(nfe);
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// The bootstrap interval (row_statistic_interval) of a statistic of the rows' sum of a
// per-row value: `of_sum` maps a redrawn sum to the statistic.
Interval row_sum_interval(const std::vector<float>& per_row, double estimate, const BootstrapOptions& boot,
                          uint64_t salt, const std::function<double(double)>& of_sum) {
  return row_statistic_interval(static_cast<int64_t>(per_row.size()), estimate, [&](const RowCounts& c) {
    double s = 0;
    for (size_t i = 0; i < per_row.size(); ++i) s += c[i] * double(per_row[i]);
    return of_sum(s);
  }, boot, salt);
}

// The variant's row of /variants/summary: its metrics with their intervals, steps, NFE
// and wall-clock.
SummaryRow variant_row(const VariantContext& ctx, const SamplerVariant& v, const VariantSamples& samples) {
  const Tensor& x = samples.result.x;
  const int64_t classes = ctx.target.denoiser->num_classes();
  SummaryRow row;
  row.text = {{"name", v.name}, {"sampler", v.sampler}, {"grid", v.grid.kind}};
  const BootstrapOptions& boot = ctx.bootstrap;
  row.numbers = distribution_metrics_with_intervals(x, ctx.reference, boot);
  auto add_interval = [&row](const std::string& metric, const Interval& iv) {
    row.numbers[metric + "_lo"] = iv.lo, row.numbers[metric + "_hi"] = iv.hi;
  };
  // An adaptive sampler has no step count of its own: its NFE says what it took.
  row.numbers["steps"] = sampler_is_adaptive(v.sampler) ? std::nan("") : v.steps;
  row.numbers["nfe"] = static_cast<double>(samples.result.nfe);
  row.numbers["wall_s"] = samples.wall_s;
  // An NFE budget beside the NFE it bought: a sampler whose counts skip the budget
  // (heun: odd counts) shows the shortfall in the table.
  if (v.nfe > 0) row.numbers["nfe_budget"] = static_cast<double>(v.nfe);
  // The reference solves the unguided ODE: a guided variant's distance would measure the
  // guidance, not the sampler.
  const bool unguided = v.guidance.scale == 1.0 && v.labels == "all";
  if (ctx.rk45_reference.defined() && (classes == 0 || unguided)) {
    const Tensor d = slice(x, 0, 0, ctx.rk45_reference.size(0)) - ctx.rk45_reference;
    row.numbers["rk45_distance"] = std::sqrt(mean(square(d)).item());
    // Over the reference's rows: the root of the redrawn rows' mean squared distance. None
    // for an SDE sampler, whose distance to the ODE's solution measures nothing to compare.
    if (boot.replicates >= 2 && !samples.stochastic) {
      const double values = static_cast<double>(d.size(1)) * static_cast<double>(d.size(0));
      add_interval("rk45_distance", row_sum_interval(sum(square(d), {1}).to_vector(), row.numbers["rk45_distance"],
                                                     boot, 4, [values](double s) { return std::sqrt(s / values); }));
    }
  }
  if (classes > 0) row.numbers["guidance"] = v.guidance.scale;
  if (ctx.image_metrics)  // class accuracy of unconditional samples (w = 0) would mean nothing
    for (const auto& [k, val] : ctx.image_metrics->score(x, v.guidance.scale != 0.0 ? samples.labels : Tensor(), boot))
      row.numbers[k] = val;
  if (const GaussianMixture* exact = ctx.target.exact) {
    const Tensor log_density = exact->log_density(x, Tensor::full({x.size(0)}, 1e-3f));
    row.numbers["exact_log_density"] = mean(log_density).item();
    if (boot.replicates >= 2) {
      const double rows = static_cast<double>(x.size(0));
      add_interval("exact_log_density", row_sum_interval(log_density.to_vector(), row.numbers["exact_log_density"],
                                                         boot, 5, [rows](double s) { return s / rows; }));
    }
  }
  return row;
}

// The attributes /variants/<name> carries: the variant's settings, as its config said them.
std::map<std::string, std::string> variant_attrs(const SamplerVariant& v, bool stochastic, int64_t classes) {
  std::map<std::string, std::string> attrs{{"sampler", v.sampler},
                                           {"steps", std::to_string(v.steps)},
                                           {"grid", v.grid.kind},
                                           {"rho", std::to_string(v.grid.rho)},
                                           {"shift", std::to_string(v.grid.shift)},
                                           {"final_step", v.final_step},
                                           {"precision", v.precision},
                                           {"noise", v.noise},
                                           // SDE samplers: their rk45_distance measures nothing
                                           {"stochastic", stochastic ? "true" : "false"}};
  for (const auto& [k, text] : option_values(v.options)) attrs["option." + k] = text;
  if (classes > 0) {
    attrs["guidance"] = std::to_string(v.guidance.scale);
    attrs["labels"] = v.labels;
    if (v.guidance.limited())
      attrs["guidance_interval"] = std::to_string(v.guidance.sigma_lo) + "," + std::to_string(v.guidance.sigma_hi);
  }
  return attrs;
}

}  // namespace

SummaryRow run_variant(const VariantContext& ctx, const SamplerVariant& v, RunFile& file,
                       const Communicator& comm) {
  const VariantSamples samples = draw_variant_samples(ctx, v, comm);
  const SummaryRow row = variant_row(ctx, v, samples);
  const Tensor& x = samples.result.x;
  const auto attrs = variant_attrs(v, samples.stochastic, ctx.target.denoiser->num_classes());
  if (ctx.image.empty()) {
    file.write_variant(v.name, x, attrs);
    return row;
  }
  // Images: samples [n, C, H, W], a picture of the first 100, and their labels.
  const int64_t n = x.size(0);
  file.write_variant(v.name, reshape(x, {n, ctx.image[0], ctx.image[1], ctx.image[2]}), attrs);
  int64_t h = 0, w = 0;
  const auto grid_pixels = image_grid(x, ctx.image, h, w);
  file.write_image("variants/" + v.name, "grid", grid_pixels, h, w);
  if (samples.labels.defined()) file.write_tensors("variants/" + v.name, {{"labels", samples.labels.to_float()}});
  return row;
}

SampleEvaluator::SampleEvaluator(const ExperimentConfig& c, const Dataset& data,
                                 const Generator& root, std::ostream* out)
    : eval_steps_(c.evaluate.eval_steps), out_(out) {
  reference_ = reference_data(c, data, root);
  noise_ = root.derive("sampling").derive("eval").normal_rows({c.evaluate.samples, data.dims()}, 0);
}

std::map<std::string, double> SampleEvaluator::operator()(const SamplingTarget& target,
                                                          const Communicator& comm) const {
  const auto& process = target.process;
  const auto t = make_time_grid(*process, {.kind = "edm", .steps = eval_steps_});
  const bool split = comm.size() > 1;
  const RowShare mine = sample_share(noise_.size(0), comm, split);
  Tensor x;
  if (mine.count > 0)
    x = sample_watched(out_, "evaluation (heun, " + std::to_string(eval_steps_) + " steps)", "heun",
                       *make_sampler("heun"), *target.denoiser, *process, t, rows_of(noise_, mine))
            .x;
  if (split) x = gather_rows(x, noise_.shape(), comm);
  return distribution_metrics(x, reference_);
}

void evaluate_likelihood(const SamplingTarget& target, const ExperimentConfig& c,
                         const Dataset& data, const Generator& root, int64_t step, RunFile& file,
                         std::ostream& out) {
  // Gray-level images: test images, dequantized as score_sde does (image_data.h), and
  // bits/dim of the 8-bit data: the continuous bits/dim of x in [-1, 1] plus 7
  // (docs/MATH.md 6.8). Other data: fresh held-out draws.
  const bool images = is_continuous_image_data(c.data);
  Generator held_out = root.derive("held_out");
  const Tensor x0 = images ? data.dequantized_test(c.evaluate.likelihood_samples, held_out)
                           : data.draw(c.evaluate.likelihood_samples, held_out);
  if (!x0.defined() || x0.size(0) == 0)
    throw std::runtime_error("evaluate.likelihood: the data has no test images");
  LikelihoodOptions lo;
  lo.trace = c.evaluate.likelihood_trace;
  lo.probes = c.evaluate.likelihood_probes;
  lo.sigma_data = target.sigma_data;
  Progress line(out, "likelihood (PF-ODE, " + std::to_string(x0.size(0)) + " points)", 0, "NFE");
  const ProgressDenoiser watched(*target.denoiser, line, lo.sigma_min, lo.sigma_max);
  const auto lr = pf_ode_likelihood(watched, x0, lo, {root.derive("probes"), 0});
  const double nll = mean(lr.nll_nats).item();
  const double bpd = mean(lr.bits_per_dim).item() + (images ? kDequantizedBitsOffset : 0.0);
  std::map<std::string, double> row{{"step", double(step)},
                                    {"nll_nats", nll},
                                    {"bits_per_dim", bpd},
                                    {"nfe", double(lr.nfe)},
                                    {"examples", double(x0.size(0))}};
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
