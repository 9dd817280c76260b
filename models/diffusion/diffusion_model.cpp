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

std::unique_ptr<DiffusionModel> DiffusionModel::same_architecture(Generator& init) const {
  return std::make_unique<DiffusionModel>(pre_.options(), net_->options(), init);
}

Tensor DiffusionModel::denoise(const Tensor& x, const Tensor& sigma) const {
  return preconditioned_denoise(
      pre_, [this](const Tensor& xi, const Tensor& cn) { return net_->forward(xi, cn); }, x, sigma);
}

Tensor DiffusionModel::loss(const Tensor& x0, const Tensor& sigma, const Tensor& eps) const {
  return mean(denoising_loss(
      pre_, [this](const Tensor& xi, const Tensor& cn) { return net_->forward(xi, cn); }, x0, sigma,
      eps));
}

Tensor DiffusionModel::training_loss(const Tensor& x0, Generator& rng) const {
  const Tensor sigma = pre_.sample_sigma(x0.size(0), rng);
  return loss(x0, sigma, rng.normal(x0.shape()));
}

}  // namespace genlab
