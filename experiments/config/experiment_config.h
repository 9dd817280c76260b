// One experiment, typed: the YAML contract (DESIGN.md contract 2) converted at the
// boundary. Defaults live here, in the structs, and nowhere else; `to_yaml` writes the
// resolved config (every default filled in), which the run file stores and
// `genlab validate --resolved` prints. Reading the resolved YAML gives the same config.
//
//   ExperimentConfig c = load_experiment_config("configs/quickstart.yaml", {"train.steps=200"});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/diffusion/denoiser_net.h"
#include "models/diffusion/preconditioning.h"
#include "samplers/sampler.h"
#include "samplers/time_grid.h"

namespace genlab {

struct DataConfig {
  // A 2-D toy set (moons, eight_gaussians, ...), an exact mixture (mixture/eight_gaussians,
  // mixture/grid25), or binary images: fashion_mnist, hdf5 (user data).
  std::string name = "moons";
  // Image data only (other keys are errors for other sets):
  std::string path;                     // fashion_mnist: folder (default Debian's); hdf5: file
  std::string hdf5_dataset = "images";  // hdf5
  std::string binarize = "static";      // static | dynamic
  double threshold = 0.5;
  std::string held_out_binarize = "threshold";  // validation and test: threshold | sample (once)
  int64_t validation = 10000;
  bool downsample = false;  // 28x28 -> 14x14
};

// Whether data.name is binary image data (fashion_mnist, hdf5), which has its own keys.
inline bool is_image_data(const std::string& name) {
  return name == "fashion_mnist" || name == "hdf5";
}

// The autoregressive family (model.family: autoregressive).
struct AutoregressiveConfig {
  std::string arch = "made";            // fvsbn | nade | made
  std::vector<int64_t> hidden = {500};  // made: hidden layers; nade: hidden[0] units
  std::string activation = "relu";      // made
  std::string ordering = "natural";     // made: natural | random
  int num_masks = 1;                    // made: mask sets cycled through in training
  int ensemble = 1;                     // made: mask sets averaged (as a mixture) at test time
  bool direct = false;                  // made: direct input-to-output connections
  int64_t samples = 64;                 // images sampled into the run file
};

// The estimator study of the VAE family (models/vae/gradient_study.h), run after training.
struct EstimatorStudyConfig {
  bool enabled = false;
  std::vector<std::string> estimators;  // empty: every one that fits the latent
  int64_t repeats = 200;
  int64_t samples = 1;  // draws per example in one estimate
  int64_t reference_samples = 10000;
  int64_t batch = 16;  // test (or held-out) examples the objective averages over
};

// The VAE family (model.family: vae).
struct VAEConfig {
  std::string latent = "gaussian";  // gaussian | categorical
  int64_t latent_dim = 20;          // categorical: variables
  int64_t categories = 10;
  int64_t hidden = 400;
  int64_t depth = 1;
  std::string activation = "relu";
  std::string likelihood;  // bernoulli | gaussian; default: bernoulli for images, else gaussian
  bool learn_variance = true;
  double log_variance = 0.0;
  std::string estimator;  // default: reparameterization (gaussian), gumbel_st (categorical)
  double beta = 1.0;
  int64_t kl_warmup_steps = 0;  // beta ramps linearly from 0 over these steps
  double tau = 1.0;             // Gumbel-Softmax: tau = max(tau_min, tau exp(-tau_rate step))
  double tau_min = 0.5;
  double tau_rate = 0.0;
  double baseline_decay = 0.99;  // reinforce_baseline
  int64_t samples = 64;          // images sampled into the run file
  int64_t reconstructions = 16;
  int64_t iwae_k = 1000;
  int64_t iwae_examples = 1000;  // test examples for IWAE (0: all)
  EstimatorStudyConfig study;
};

struct ModelConfig {
  std::string family = "diffusion";        // diffusion | analytic (the mixture of data.name)
  PreconditioningOptions preconditioning;  // process, parameterization, sigma_data, ...
  DenoiserNetOptions net;
  AutoregressiveConfig autoregressive;
  VAEConfig vae;
};

struct TrainConfig {
  int64_t steps = 2000;
  int64_t batch_size = 512;
  double lr = 1e-3;
  std::string schedule = "constant";  // constant | linear_warmup | cosine
  int64_t warmup_steps = 0;
  double ema_decay = 0.999;
  double grad_clip = 0.0;
  int64_t log_every = 100;
  int64_t eval_every = 500;  // 0: only at the end
  // Training state to /checkpoint every this many steps (a multiple of log_every) and at
  // the end; 0: only at the end. `genlab run --resume` continues from it.
  int64_t checkpoint_every = 500;
};

struct EvaluateConfig {
  int64_t samples = 4000;   // for metrics, per evaluation and per variant
  int eval_steps = 18;      // heun steps of the periodic evaluation
  bool likelihood = false;  // PF-ODE NLL of held-out data
  int64_t likelihood_samples = 256;
  std::string likelihood_trace = "hutchinson";  // exact | hutchinson
};

struct SamplerVariant {
  std::string name;     // unique within the run (default: sampler-steps)
  std::string sampler;  // one of sampler_names()
  int steps = 18;
  GridOptions grid;  // grid.steps is `steps`
  SamplerParams options;
};

struct OutputConfig {
  std::string path;  // default: runs/<name>.h5
};

struct ExperimentConfig {
  std::string name = "experiment";
  uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  EvaluateConfig evaluate;
  std::vector<SamplerVariant> samplers;
  OutputConfig output;
};

ExperimentConfig load_experiment_config(const std::string& path,
                                        const std::vector<std::string>& overrides = {});
ExperimentConfig parse_experiment_config(const std::string& yaml_text, const std::string& name,
                                         const std::vector<std::string>& overrides = {});
std::string to_yaml(const ExperimentConfig& c);
// A variant from the command line (`genlab sample RUN --sampler heun steps=32 name=h32`):
// name, steps, grid, rho, shift are the variant's keys, others the sampler's options.
SamplerVariant parse_sampler_variant(const std::string& sampler,
                                     const std::vector<std::string>& key_values);

}  // namespace genlab
