// Embeddings of a scalar per example (a noise level, a time): sinusoidal (Transformer /
// DDPM style) and random Fourier features (Tancik et al. 2020; EDM's FourierEmbedding).
//
//   SinusoidalEmbedding emb({.dim = 64});
//   Tensor e = emb.forward(c_noise);   // [batch] or [batch, 1] -> [batch, 64]
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/module.h"
#include "genlab/core/rng.h"

namespace genlab {

struct SinusoidalEmbeddingOptions {
  int64_t dim = 64;            // even: dim/2 cosines then dim/2 sines
  float max_period = 10000.0f;  // frequencies max_period^(-k / (dim/2)), k = 0..dim/2-1
};

class SinusoidalEmbedding : public UnaryModule {
 public:
  explicit SinusoidalEmbedding(const SinusoidalEmbeddingOptions& options);
  Tensor forward(const Tensor& t) const override;

 private:
  SinusoidalEmbeddingOptions options_;
  Tensor freqs_;  // buffer [dim/2]
};

struct FourierEmbeddingOptions {
  int64_t dim = 64;    // even
  float scale = 16.0f;  // frequencies ~ N(0, scale^2), fixed at construction
};

// [cos(2 pi f t), sin(2 pi f t)] with frozen random frequencies f.
class FourierEmbedding : public UnaryModule {
 public:
  FourierEmbedding(const FourierEmbeddingOptions& options, Generator& init);
  Tensor forward(const Tensor& t) const override;

 private:
  FourierEmbeddingOptions options_;
  Tensor freqs_;  // buffer [dim/2]
};

// The noise-level embedding of a denoiser net, one options struct for every net (the
// MLP's and the U-Net's `embedding*` keys).
struct NoiseEmbeddingOptions {
  std::string kind = "sinusoidal";  // one of noise_embedding_kinds()
  int64_t dim = 64;                 // even
  float fourier_scale = 16.0f;      // fourier: FourierEmbeddingOptions' scale
  float max_period = 10000.0f;      // sinusoidal: SinusoidalEmbeddingOptions' max_period
};

// The kinds: sinusoidal, fourier.
const std::vector<std::string>& noise_embedding_kinds();

// The embedding `o` names (fourier draws its frequencies from `init`). An unknown kind is
// refused with an error starting with `who`; an odd width by the embedding itself.
std::shared_ptr<UnaryModule> make_noise_embedding(const NoiseEmbeddingOptions& o, Generator& init,
                                                  const std::string& who);

}  // namespace genlab
