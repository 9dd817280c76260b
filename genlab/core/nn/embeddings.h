// Embeddings of a scalar per example (a noise level, a time): sinusoidal (Transformer /
// DDPM style) and random Fourier features (Tancik et al. 2020; EDM's FourierEmbedding).
//
//   SinusoidalEmbedding emb({.dim = 64});
//   Tensor e = emb.forward(c_noise);   // [batch] or [batch, 1] -> [batch, 64]
#pragma once

#include "genlab/core/nn/module.h"
#include "genlab/core/rng.h"

namespace genlab {

struct SinusoidalEmbeddingOptions {
  int64_t dim = 64;            // even: dim/2 cosines then dim/2 sines
  float max_period = 10000.0f;  // frequencies max_period^(-k / (dim/2)), k = 0..dim/2-1
};

class SinusoidalEmbedding : public Module {
 public:
  explicit SinusoidalEmbedding(const SinusoidalEmbeddingOptions& options);
  Tensor forward(const Tensor& t) const;

 private:
  SinusoidalEmbeddingOptions options_;
  Tensor freqs_;  // buffer [dim/2]
};

struct FourierEmbeddingOptions {
  int64_t dim = 64;    // even
  float scale = 16.0f;  // frequencies ~ N(0, scale^2), fixed at construction
};

// [cos(2 pi f t), sin(2 pi f t)] with frozen random frequencies f.
class FourierEmbedding : public Module {
 public:
  FourierEmbedding(const FourierEmbeddingOptions& options, Generator& init);
  Tensor forward(const Tensor& t) const;

 private:
  FourierEmbeddingOptions options_;
  Tensor freqs_;  // buffer [dim/2]
};

}  // namespace genlab
