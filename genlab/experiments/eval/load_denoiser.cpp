#include "genlab/experiments/eval/load_denoiser.h"

#include <stdexcept>

#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/run/run_status.h"
#include "genlab/experiments/run_setup.h"

namespace genlab {

RunDenoiser::~RunDenoiser() = default;

Tensor RunDenoiser::denoise(const Tensor& x, const Tensor& sigma) const {
  return denoiser_->denoise(x, sigma);
}

Tensor RunDenoiser::denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const {
  return denoiser_->denoise(x, sigma, labels);
}

int64_t RunDenoiser::dims() const { return denoiser_->dims(); }
int64_t RunDenoiser::num_classes() const { return denoiser_->num_classes(); }
int RunDenoiser::evaluations_at(double sigma) const { return denoiser_->evaluations_at(sigma); }

std::unique_ptr<RunDenoiser> load_denoiser(const std::string& run_path) {
  const std::string path = resolve_run_path(run_path);
  std::unique_ptr<RunDenoiser> d(new RunDenoiser());
  d->config_ = stored_config(path);
  d->data_ = make_dataset(d->config_.data, d->config_.seed);
  d->family_ = find_family(d->config_.model.family)
                   .make({d->config_.model, d->config_.train, d->config_.data, to_yaml(d->config_), *d->data_,
                          Generator(d->config_.seed)});
  if (d->family_->trainable()) {
    const RunFile file = RunFile::open(path);
    if (!file.exists("/model/ema"))
      throw std::runtime_error(path + ": no /model/ema (did training finish?)");
    try {
      d->family_->load_sampling_weights(file.read_tensors("model/ema"));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": /model/ema does not fit the model its config describes (" + e.what() + ")");
    }
  }
  const auto target = d->family_->sampling_target();
  if (!target)
    throw std::runtime_error(path + ": the " + d->config_.model.family +
                             " family samples without a denoiser (no sampler can use it)");
  d->denoiser_ = target->denoiser;
  d->process_ = target->process;
  d->sigma_data_ = target->sigma_data;
  return d;
}

}  // namespace genlab
