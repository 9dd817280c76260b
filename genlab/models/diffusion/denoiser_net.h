// The network F inside a preconditioned denoiser, for vector data: the scaled input
// c_in x and an embedding of c_noise (sinusoidal or random Fourier) go through an MLP,
// optionally built from residual blocks (h += W2 act(W1 act(h))). For images, unet.h
// implements the same interface.
//
//   DenoiserNet net({.dims = 2, .width = 256, .depth = 4}, init);
//   Tensor f = net.forward(x_in, c_noise);   // [B, dims], [B] -> [B, dims]
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/embeddings.h"
#include "genlab/core/nn/layers.h"

namespace genlab {

struct DenoiserNetOptions {
  int64_t dims = 2;
  int64_t width = 256;
  int64_t depth = 4;  // hidden layers (plain) or residual blocks (residual)
  std::string activation = "silu";
  NoiseEmbeddingOptions embedding = {};  // of c_noise, shared with the U-Net's options
  bool residual = false;
};

class DenoiserNet : public Module {
 public:
  DenoiserNet(const DenoiserNetOptions& options, Generator& init);
  Tensor forward(const Tensor& x_in, const Tensor& c_noise) const;
  const DenoiserNetOptions& options() const { return o_; }

 private:
  DenoiserNetOptions o_;
  Activation act_;
  std::shared_ptr<UnaryModule> embedding_;
  std::shared_ptr<MLP> mlp_;                // plain
  std::shared_ptr<Linear> input_, output_;  // residual
  std::shared_ptr<ModuleList> blocks_;      // residual: registers the pairs below
  std::vector<std::shared_ptr<Linear>> block_layers_;
};

}  // namespace genlab
