#include "genlab/models/diffusion/denoiser_net.h"

#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

DenoiserNet::DenoiserNet(const DenoiserNetOptions& o, Generator& init)
    : o_(o), act_(parse_activation(o.activation)) {
  if (o.dims < 1 || o.width < 1 || o.depth < 1 || o.embedding.dim < 2 || o.embedding.dim % 2)
    throw std::invalid_argument(
        "denoiser net: dims, width, depth >= 1 and an even embedding_dim >= 2 required");
  embedding_ = register_module("embedding", make_noise_embedding(o.embedding, init, "denoiser net"));
  const int64_t in = o.dims + o.embedding.dim;
  if (!o.residual) {
    mlp_ = register_module("mlp", std::make_shared<MLP>(MLPOptions{.in = in,
                                                                   .out = o.dims,
                                                                   .width = o.width,
                                                                   .depth = o.depth,
                                                                   .activation = o.activation},
                                                        init));
    return;
  }
  input_ = register_module("input", std::make_shared<Linear>(LinearOptions{in, o.width}, init));
  blocks_ = register_module("blocks", std::make_shared<ModuleList>());
  for (int64_t b = 0; b < o.depth; ++b)
    for (int k = 0; k < 2; ++k)
      block_layers_.push_back(
          blocks_->push_back(std::make_shared<Linear>(LinearOptions{o.width, o.width}, init)));
  output_ =
      register_module("output", std::make_shared<Linear>(LinearOptions{o.width, o.dims}, init));
}

Tensor DenoiserNet::forward(const Tensor& x_in, const Tensor& c_noise) const {
  const Tensor emb = embedding_->forward(c_noise);
  const Tensor h0 = concat({x_in, emb}, 1);
  if (mlp_) return mlp_->forward(h0);
  Tensor h = input_->forward(h0);
  const auto& layers = block_layers_;
  for (size_t b = 0; b + 1 < layers.size(); b += 2)
    h = h + layers[b + 1]->forward(activate(act_, layers[b]->forward(activate(act_, h))));
  return output_->forward(activate(act_, h));
}

}  // namespace genlab
