#include "genlab/models/diffusion/diffusion_model.h"

#include <algorithm>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {

Tensor preconditioned_denoise(const Preconditioning& pre, const NetworkFn& net, const Tensor& x,
                              const Tensor& sigma) {
  const auto c = pre.coefficients(sigma);
  return x * c.c_skip + net(x * c.c_in, c.c_noise) * c.c_out;
}

Tensor denoising_loss(const Preconditioning& pre, const NetworkFn& net, const Tensor& x0,
                      const Tensor& sigma, const Tensor& eps) {
  if (x0.dim() != 2 || eps.shape() != x0.shape() || sigma.dim() != 1 || sigma.size(0) != x0.size(0))
    throw std::invalid_argument("diffusion loss: x0 and eps [B, dims], sigma [B]; got " +
                                shape_str(x0.shape()) + ", " + shape_str(eps.shape()) + ", " +
                                shape_str(sigma.shape()));
  const auto c = pre.coefficients(sigma);
  const Tensor s = reshape(sigma, {-1, 1});
  const Tensor x = x0 + s * eps;
  const Tensor f = net(x * c.c_in, c.c_noise);
  const Tensor residual = x0 * c.c_skip_minus_one + eps * (c.c_skip * s) + f * c.c_out;
  return c.weight * mean(square(residual), {1});
}

DiffusionModel::DiffusionModel(const PreconditioningOptions& pre, const DenoiserNetOptions& net,
                               Generator& init)
    : pre_(pre) {
  net_ = register_module("net", std::make_shared<DenoiserNet>(net, init));
}

DiffusionModel::DiffusionModel(const PreconditioningOptions& pre, const UNetOptions& unet,
                               Generator& init)
    : pre_(pre) {
  unet_ = register_module("net", std::make_shared<UNet>(unet, init));
}

int64_t DiffusionModel::dims() const {
  if (net_) return net_->options().dims;
  const auto& image = unet_->options().image;
  return image[0] * image[1] * image[2];
}

Tensor DiffusionModel::network(const Tensor& x_in, const Tensor& c_noise, const Tensor& labels,
                               Generator* dropout) const {
  if (net_) {
    if (labels.defined())
      throw std::invalid_argument("diffusion model: the MLP denoiser is unconditional; labels need the U-Net");
    return net_->forward(x_in, c_noise);
  }
  return unet_->forward(x_in, c_noise, labels, dropout);
}

int64_t DiffusionModel::num_classes() const {
  return unet_ ? unet_->options().num_classes : 0;
}

Tensor drop_labels(const Tensor& labels, double p, int64_t null_label, Generator& rng) {
  if (!(p > 0.0)) return labels;
  const auto u = rng.uniform({labels.numel()}).to_vector();
  std::vector<int32_t> l = labels.to_index_vector();
  for (size_t i = 0; i < l.size(); ++i)
    if (u[i] < p) l[i] = static_cast<int32_t>(null_label);
  return Tensor::from_indices(l, labels.shape());
}

std::unique_ptr<DiffusionModel> DiffusionModel::same_architecture(Generator& init) const {
  auto m = unet_ ? std::make_unique<DiffusionModel>(pre_.options(), unet_->options(), init)
                 : std::make_unique<DiffusionModel>(pre_.options(), net_->options(), init);
  m->pre_ = pre_;  // the same Process object, not one of the same name
  return m;
}

Tensor DiffusionModel::denoise(const Tensor& x, const Tensor& sigma) const {
  return denoise(x, sigma, Tensor());
}

Tensor DiffusionModel::denoise(const Tensor& x, const Tensor& sigma, const Tensor& labels) const {
  // Sampling (no autograd) a U-Net on many rows: chunks of kInferenceChunk rows. Rows are
  // independent, and a chunk's activations fit the allocator's cache; one 1000-row batch
  // of 28x28x32 activations (100 MB a tensor) instead thrashed it (half the CPU time in
  // the kernel, 13 GB resident, edm_fmnist's guided variants).
  const int64_t n = x.size(0);
  if (unet_ && !grad_enabled() && n > kInferenceChunk) {
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < n; i += kInferenceChunk) {
      const int64_t end = std::min(n, i + kInferenceChunk);
      parts.push_back(denoise(x.narrow_rows(i, end - i), sigma.narrow_rows(i, end - i),
                              labels.defined() ? labels.narrow_rows(i, end - i) : labels));
    }
    return concat(parts, 0);
  }
  return preconditioned_denoise(
      pre_,
      [this, &labels](const Tensor& xi, const Tensor& cn) { return network(xi, cn, labels, nullptr); },
      x, sigma);
}

Tensor DiffusionModel::loss(const Tensor& x0, const Tensor& sigma, const Tensor& eps,
                            Generator* dropout, const Tensor& labels) const {
  return mean(denoising_loss(
      pre_,
      [this, dropout, &labels](const Tensor& xi, const Tensor& cn) {
        return network(xi, cn, labels, dropout);
      },
      x0, sigma, eps));
}

Tensor DiffusionModel::training_loss(const Tensor& x0, Generator& rng, const Tensor& labels,
                                     double label_dropout) const {
  const Tensor sigma = pre_.sample_sigma(x0.size(0), rng);
  const Tensor eps = rng.normal(x0.shape());
  const Tensor l = labels.defined() ? drop_labels(labels, label_dropout, null_label(), rng) : labels;
  const bool dropout = unet_ && unet_->options().dropout > 0.0f;
  return loss(x0, sigma, eps, dropout ? &rng : nullptr, l);
}

}  // namespace genlab
