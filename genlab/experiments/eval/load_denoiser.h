// A trained run's model outside `genlab run`: the denoiser of a run file's /model/ema (the
// weights its variants were sampled with), under the run's process, ready for any sampler
// of genlab/samplers/ in a program of your own. Works for every family that samples
// through a denoiser (diffusion, analytic); the run's data set is loaded to build it.
//
//   auto model = load_denoiser("runs/quickstart/latest/run.h5");   // a folder works too
//   const Process& process = model->process();   // the one it was trained under
//   auto t = make_time_grid(process, {.kind = "edm", .steps = 18});
//   Tensor noise = Generator(7).normal({1000, model->dims()});
//   SampleResult r = make_sampler("heun")->sample(*model, process, t, noise);
#pragma once

#include <memory>
#include <string>

#include "genlab/experiments/experiment_config.h"
#include "genlab/samplers/denoiser.h"
#include "genlab/samplers/process.h"

namespace genlab {

class Dataset;
class Family;

class RunDenoiser : public Denoiser {
 public:
  ~RunDenoiser() override;
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  Tensor denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const override;
  int64_t dims() const override;
  int64_t num_classes() const override;
  int evaluations_at(double sigma) const override;
  const Process& process() const { return *process_; }
  std::string process_name() const { return process_->name(); }
  double sigma_data() const { return sigma_data_; }
  const ExperimentConfig& config() const { return config_; }

 private:
  friend std::unique_ptr<RunDenoiser> load_denoiser(const std::string& run_path);
  RunDenoiser() = default;
  ExperimentConfig config_;
  std::unique_ptr<Dataset> data_;
  std::unique_ptr<Family> family_;
  const Denoiser* denoiser_ = nullptr;
  std::shared_ptr<const Process> process_;
  double sigma_data_ = 0.5;
};

// Throws naming the file when it is no run file, has no /model/ema (training did not
// finish), or its family samples otherwise (autoregressive, VAE).
std::unique_ptr<RunDenoiser> load_denoiser(const std::string& run_path);

}  // namespace genlab
