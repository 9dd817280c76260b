// One experiment, typed: the YAML contract (docs/DESIGN.md contract 2) converted at the
// boundary. Each section's keys are declared once, in a fields() function beside the
// struct (schema.h); the same declaration reads the YAML, writes the resolved config
// (every default filled in, stored in the run file) and prints the key reference.
// `data:` and `model:` hold the keys of the data set and family they name: their
// options are the library's own structs, chosen at run time (ChosenOptions).
//
//   ExperimentConfig c = load_experiment_config("configs/quickstart.yaml", {"train.steps=200"});
//   const auto& o = c.model.options.as<DiffusionFamilyOptions>();
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "genlab/experiments/config/schema.h"
#include "genlab/experiments/config/sections.h"
#include "genlab/experiments/data/data_config.h"
#include "genlab/samplers/guidance.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

namespace genlab {

struct EvaluateConfig {
  int64_t samples = 4000;   // for metrics, per evaluation and per variant
  int eval_steps = 18;      // heun steps of the periodic evaluation
  bool likelihood = false;  // PF-ODE NLL of held-out data
  int64_t likelihood_samples = 256;
  std::string likelihood_trace = "hutchinson";  // exact | hutchinson
  int likelihood_probes = 1;                    // hutchinson: probes per evaluation
  bool rk45_reference = true;   // each variant's distance to an rk45 solution from its noise
  // Each variant metric's interval: bootstrap replicates (0: none) and their confidence
  // (genlab/experiments/eval/metric_intervals.h).
  int bootstrap = 200;
  double confidence = 0.95;
  // Gray-level images: the classifier of the image metrics (FD, class accuracy): auto
  // (the committed Fashion-MNIST one, for 1x28x28 images), none, or a classifier file.
  std::string classifier = "auto";
};

struct SamplerVariant {
  std::string name;     // unique within the run (default: sampler-steps)
  std::string sampler;  // one of sampler_names()
  int steps = 18;
  // An NFE budget instead of steps (0: none): steps becomes the largest count whose
  // network evaluations per sample fit it (genlab/experiments/nfe_budget.h).
  int64_t nfe = 0;
  GridOptions grid;                    // grid.steps is `steps`; grid.kind "" = the process's own
  std::string final_step = "denoise";  // denoise | euler (genlab/samplers/sampler.h)
  // float32 | float64: the precision of the sampler's state and updates (the network
  // runs in float32 either way); independent | brownian_tree: where a stochastic
  // sampler's noise comes from (genlab/samplers/noise_source.h).
  std::string precision = "float32";
  std::string noise = "independent";
  // The sampler's own options struct, resolved: its defaults with the config's keys
  // (read by the sampler's fields(), genlab/samplers/sampler_registry.h).
  AnyOptions options;
  // Class-conditional models (model.classes > 0): classifier-free guidance, keys guidance
  // and guidance_interval (genlab/samplers/guidance.h: w = 0 unconditional, 1
  // conditional), and the labels: "all" (sample i has class i mod classes) or one class
  // number.
  GuidanceOptions guidance;
  std::string labels = "all";
};

struct OutputConfig {
  // Empty: a new folder FOLDER/<name>/<UTC date>_<time>[_n]/ holding run.h5, config.yaml
  // and command.txt (FOLDER/<name>/latest points to the newest). Given: that file, which
  // must not exist yet (genlab run --overwrite replaces a finished one).
  std::string path;
  std::string folder = "runs";
};

struct ExperimentConfig {
  std::string name = "experiment";
  uint64_t seed = 0;
  int threads = 0;  // 0: auto (genlab/experiments/cli/thread_choice.h)
  std::string device = "cpu";  // cpu, cuda or cuda:N (genlab/core/device.h parse_device)
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  EvaluateConfig evaluate;
  std::vector<SamplerVariant> samplers;
  OutputConfig output;
  // `genlab run --smoke`: overrides that make this config's quick form (applied after
  // genlab's own quick settings, smoke.h).
  std::vector<std::string> smoke;
  // Not a key: what reading decided for the user (an override that replaced another
  // key), for the caller to print.
  std::vector<std::string> notes;
};

ExperimentConfig load_experiment_config(const std::string& path,
                                        const std::vector<std::string>& overrides = {});
ExperimentConfig parse_experiment_config(const std::string& yaml_text, const std::string& name,
                                         const std::vector<std::string>& overrides = {});
std::string to_yaml(const ExperimentConfig& c);
// What differs between two resolved configs, key by key (dotted paths; list items as
// samplers[1].steps), for `--resume` to name.
struct ConfigChange {
  std::string key, stored, given;
};
std::vector<ConfigChange> config_changes(const std::string& stored_yaml,
                                         const std::string& given_yaml);
// Every value of a YAML document by dotted path (a list of scalars is one value).
std::map<std::string, std::string> flatten_config(const std::string& yaml);

// A variant from the command line (`genlab sample RUN --sampler heun steps=32 name=h32`):
// the variant's keys (variant_keys()) and the sampler's options, side by side.
// `run` is the run's config (its process gives the default grid).
SamplerVariant parse_sampler_variant(const std::string& sampler,
                                     const std::vector<std::string>& key_values,
                                     const ExperimentConfig& run);
// A variant's own keys (name, steps, grid, ..., guidance, labels), as its fields() declare
// them, without `sampler` and `options`.
std::vector<std::string> variant_keys();

// The key reference (`genlab config --reference [SECTION]`): one markdown table per
// section, the families' and data sets' keys each in their own table.
std::string config_reference(const std::string& section = "");

}  // namespace genlab
