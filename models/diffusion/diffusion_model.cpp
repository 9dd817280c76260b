#include "genlab/models/diffusion/diffusion_model.h"

#include <stdexcept>

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

Tensor DiffusionModel::network(const Tensor& x_in, const Tensor& c_noise, Generator* dropout) const {
  return net_ ? net_->forward(x_in, c_noise) : unet_->forward(x_in, c_noise, dropout);
}

std::unique_ptr<DiffusionModel> DiffusionModel::same_architecture(Generator& init) const {
  if (unet_) return std::make_unique<DiffusionModel>(pre_.options(), unet_->options(), init);
  return std::make_unique<DiffusionModel>(pre_.options(), net_->options(), init);
}

Tensor DiffusionModel::denoise(const Tensor& x, const Tensor& sigma) const {
  return preconditioned_denoise(
      pre_, [this](const Tensor& xi, const Tensor& cn) { return network(xi, cn); }, x, sigma);
}

Tensor DiffusionModel::loss(const Tensor& x0, const Tensor& sigma, const Tensor& eps,
                            Generator* dropout) const {
  return mean(denoising_loss(
      pre_, [this, dropout](const Tensor& xi, const Tensor& cn) { return network(xi, cn, dropout); },
      x0, sigma, eps));
}

Tensor DiffusionModel::training_loss(const Tensor& x0, Generator& rng) const {
  const Tensor sigma = pre_.sample_sigma(x0.size(0), rng);
  const Tensor eps = rng.normal(x0.shape());
  const bool dropout = unet_ && unet_->options().dropout > 0.0f;
  return loss(x0, sigma, eps, dropout ? &rng : nullptr);
}

}  // namespace genlab
