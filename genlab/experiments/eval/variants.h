// What the runner does with a SamplingTarget: sample every variant from the same initial
// noise and score it (sample metrics; against the exact density when the target is
// exact, and an rk45 solution from the same noise), the periodic sample evaluation, and
// the PF-ODE likelihood of held-out data. It sees only the target, never a family.
// A class-conditional target samples each variant's labels under its classifier-free
// guidance (genlab/samplers/guidance.h). Gray-level images add the image metrics (FD, class
// accuracy, image_metrics.h), a sample grid per variant, and bits/dim of dequantized
// test images.
//
//   VariantContext ctx = make_variant_context(*target, config, data, root);
//   SummaryRow row = run_variant(ctx, config.samplers[0], file);
#pragma once

#include <map>
#include <memory>
#include <ostream>

#include "genlab/core/distributed/communicator.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/eval/image_metrics.h"
#include "genlab/experiments/eval/metric_intervals.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/guidance.h"

namespace genlab {

// Samples of the rk45 reference behind each variant's rk45_distance (the first ones of
// the shared noise).
inline constexpr int64_t kRk45ReferenceSamples = 1000;

// Bits/dim of 8-bit images from the density of their dequantized values x = 2u - 1,
// u = (k + U) / 256: -log2 P(k) <= -log2 p(x) - D log2(2 / 256), i.e. 7 bits per
// dimension on top of the continuous bits/dim (score_sde's offset; docs/MATH.md 6.8).
inline constexpr double kDequantizedBitsOffset = 7.0;

// What every variant of a run shares: the target, its process, the initial noise, the
// reference data and (for exact targets) an rk45 solution from the same noise.
struct VariantContext {
  SamplingTarget target;
  std::shared_ptr<const Process> process;
  Tensor noise, reference, rk45_reference;  // rk45_reference: undefined when off
  Generator sampling = Generator(0);
  std::vector<int64_t> image;                   // C, H, W of image data; empty for vectors
  std::shared_ptr<const ImageMetrics> image_metrics;  // null: no image metrics
  // The metrics' intervals. One seed for every variant: each redraws the same rows of
  // the shared noise and reference, so the variants' intervals are alike in kind.
  BootstrapOptions bootstrap;
  std::ostream* out = nullptr;  // progress lines of long variants (progress.h); null: none
};

// Where a variant's step noise comes from: with noise: brownian_tree one path per (run
// seed, sample row), shared by every variant of the run; else the variant's own stream.
Generator step_noise_stream(const VariantContext& ctx, const SamplerVariant& v);

// The labels of a variant's n samples: "all" (i mod classes) or one class; undefined for
// an unconditional target.
Tensor variant_labels(const SamplerVariant& v, int64_t n, int64_t classes);

// The image metrics of a run on gray-level images (evaluate.classifier), or null.
std::shared_ptr<const ImageMetrics> make_image_metrics(const ExperimentConfig& c, const Dataset& data);
// The same classifier loaded and checked against the data's image shape (ConfigError
// naming evaluate.classifier): what a run checks before it trains, so that a bad file is
// not found after hours of training.
void check_image_classifier(const ExperimentConfig& c, const Dataset& data);

// Up to 100 images [n, C*H*W] in [-1, 1] as one 8-bit grid, 10 per row (channels side by side).
std::vector<uint8_t> image_grid(const Tensor& x, const std::vector<int64_t>& image,
                                int64_t& height, int64_t& width);

// `out`: where the rk45 reference and later the variants report progress (null: nowhere).
VariantContext make_variant_context(const SamplingTarget& target, const ExperimentConfig& c,
                                    const Dataset& data, const Generator& root,
                                    std::ostream* out = nullptr);

// Samples one variant from the shared noise, writes /variants/<name>, returns its row:
// the metrics and, with ctx.bootstrap's replicates, each one's interval as <metric>_lo
// and <metric>_hi.
// Under data parallelism (comm of several ranks) a fixed-step sampler's samples are split
// across the ranks (rows in rank order, each row's noise its own) and gathered in order,
// so the samples and the row are bitwise those of one process; an adaptive sampler, whose
// steps depend on the whole batch, runs whole on every rank.
SummaryRow run_variant(const VariantContext& ctx, const SamplerVariant& v, RunFile& file,
                       const Communicator& comm = single_process());

// Sliced Wasserstein, MMD and energy distance of samples x to the reference.
std::map<std::string, double> distribution_metrics(const Tensor& x, const Tensor& reference);

// The periodic evaluation: heun with eval_steps from a fixed evaluation noise (of a
// class-conditional target, its unconditional denoiser: the null label).
class SampleEvaluator {
 public:
  // `out`: progress lines of a long evaluation (null: none).
  SampleEvaluator(const ExperimentConfig& c, const Dataset& data, const Generator& root,
                  std::ostream* out = nullptr);
  // Split across the ranks of comm as run_variant splits a fixed-step variant.
  std::map<std::string, double> operator()(const SamplingTarget& target,
                                           const Communicator& comm = single_process()) const;

 private:
  int eval_steps_;
  Tensor reference_, noise_;
  std::ostream* out_;
};

// PF-ODE NLL of held-out points (drawn from the "held_out" stream): the mean into
// /likelihood, and per point into /likelihood_points (the points, their NLL and, for an
// exact target, their exact log-density at sigma_min), for checks from outside.
void evaluate_likelihood(const SamplingTarget& target, const ExperimentConfig& c,
                         const Dataset& data, const Generator& root, int64_t step, RunFile& file,
                         std::ostream& out);

}  // namespace genlab
