// A diffusion / flow-matching model: a DenoiserNet (vectors) or a UNet (images, seen as
// flattened vectors) behind a Preconditioning, which is a
// Denoiser every sampler can use, plus its training loss
//   E_{sigma, x0, eps} lambda(sigma) ||D(x0 + sigma eps; sigma) - x0||^2
// (mean over dims), with sigma from the process's training distribution.
//
//   DiffusionModel model({.process = "edm"}, {.dims = 2, .width = 256, .depth = 4}, init);
//   Tensor loss = model.training_loss(x0, rng);   // scalar, differentiable
//   auto r = make_sampler("heun")->sample(model, *make_process("edm"), t, noise);
#pragma once

#include <functional>
#include <memory>

#include "genlab/models/diffusion/denoiser_net.h"
#include "genlab/models/diffusion/preconditioning.h"
#include "genlab/models/diffusion/unet.h"
#include "genlab/samplers/denoiser.h"

namespace genlab {

using NetworkFn = std::function<Tensor(const Tensor& x_in, const Tensor& c_noise)>;

// D(x; sigma) = c_skip x + c_out F(c_in x; c_noise) for any network function F.
Tensor preconditioned_denoise(const Preconditioning& pre, const NetworkFn& net, const Tensor& x,
                              const Tensor& sigma);

// Labels with each replaced by `null_label` with probability p (one uniform per row from rng).
Tensor drop_labels(const Tensor& labels, double p, int64_t null_label, Generator& rng);

// Per-example lambda(sigma) ||D(x0 + sigma eps; sigma) - x0||^2 / dims, [B]. D - x0 is
// formed as (c_skip - 1) x0 + c_skip sigma eps + c_out F, so that small sigma loses no
// precision to cancellation.
Tensor denoising_loss(const Preconditioning& pre, const NetworkFn& net, const Tensor& x0,
                      const Tensor& sigma, const Tensor& eps);

class DiffusionModel : public Module, public Denoiser {
 public:
  DiffusionModel(const PreconditioningOptions& pre, const DenoiserNetOptions& net, Generator& init);
  DiffusionModel(const PreconditioningOptions& pre, const UNetOptions& unet, Generator& init);

  // Without autograd a U-Net denoises in chunks of kInferenceChunk rows (same values).
  static constexpr int64_t kInferenceChunk = 128;
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override;
  int64_t dims() const override;
  // A U-Net with num_classes > 0 is class-conditional (denoiser.h).
  int64_t num_classes() const override;
  Tensor denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const override;

  // Mean of denoising_loss over a batch, sigma and eps drawn from rng (then the label
  // dropout, then the U-Net's dropout masks, when it has dropout). A conditional model
  // takes the batch's labels; each is replaced by the null label with probability
  // label_dropout, so that one network learns both D(x; sigma, c) and D(x; sigma).
  Tensor training_loss(const Tensor& x0, Generator& rng, const Tensor& labels = Tensor(),
                       double label_dropout = 0.0) const;
  Tensor loss(const Tensor& x0, const Tensor& sigma, const Tensor& eps,
              Generator* dropout = nullptr, const Tensor& labels = Tensor()) const;

  const Preconditioning& preconditioning() const { return pre_; }
  // A model with the same architecture (weights from init; load_state_dict to copy).
  std::unique_ptr<DiffusionModel> same_architecture(Generator& init) const;

 private:
  Tensor network(const Tensor& x_in, const Tensor& c_noise, const Tensor& labels,
                 Generator* dropout) const;

  Preconditioning pre_;
  std::shared_ptr<DenoiserNet> net_;  // one of the two
  std::shared_ptr<UNet> unet_;
};

}  // namespace genlab
