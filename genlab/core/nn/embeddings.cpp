#include "genlab/core/nn/embeddings.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

namespace {
void check_even(int64_t dim, const char* who) {
  if (dim <= 0 || dim % 2)
    throw std::invalid_argument(std::string(who) + ": dim must be positive and even, got " +
                                std::to_string(dim));
}

// [batch] or [batch, 1] times [half] -> [batch, 2 half] of cos then sin.
Tensor embed(const Tensor& t, const Tensor& freqs, const char* who) {
  if (!(t.dim() == 1 || (t.dim() == 2 && t.shape()[1] == 1)))
    throw std::invalid_argument(std::string(who) + ": expects [batch] or [batch, 1], got " +
                                shape_str(t.shape()));
  const Tensor args = reshape(t, {-1, 1}) * freqs;
  return concat({cos(args), sin(args)}, 1);
}
}  // namespace

SinusoidalEmbedding::SinusoidalEmbedding(const SinusoidalEmbeddingOptions& options)
    : options_(options) {
  check_even(options.dim, "SinusoidalEmbedding");
  const int64_t half = options.dim / 2;
  std::vector<float> f(half);
  for (int64_t k = 0; k < half; ++k)
    f[k] = std::exp(-std::log(options.max_period) * static_cast<float>(k) / static_cast<float>(half));
  freqs_ = register_buffer("freqs", Tensor::from_vector(f, {half}));
}

Tensor SinusoidalEmbedding::forward(const Tensor& t) const {
  return embed(t, freqs_, "SinusoidalEmbedding");
}

FourierEmbedding::FourierEmbedding(const FourierEmbeddingOptions& options, Generator& init)
    : options_(options) {
  check_even(options.dim, "FourierEmbedding");
  freqs_ = register_buffer("freqs", init.normal({options.dim / 2}, 0.0f, options.scale) *
                                        static_cast<float>(2.0 * M_PI));
}

Tensor FourierEmbedding::forward(const Tensor& t) const { return embed(t, freqs_, "FourierEmbedding"); }

const std::vector<std::string>& noise_embedding_kinds() {
  static const std::vector<std::string> kinds{"sinusoidal", "fourier"};
  return kinds;
}

std::shared_ptr<UnaryModule> make_noise_embedding(const NoiseEmbeddingOptions& o, Generator& init,
                                                  const std::string& who) {
  if (o.kind == "sinusoidal")
    return std::make_shared<SinusoidalEmbedding>(SinusoidalEmbeddingOptions{.dim = o.dim, .max_period = o.max_period});
  if (o.kind == "fourier")
    return std::make_shared<FourierEmbedding>(FourierEmbeddingOptions{.dim = o.dim, .scale = o.fourier_scale}, init);
  throw std::invalid_argument(who + ": unknown embedding '" + o.kind + "' (allowed: sinusoidal, fourier)");
}

}  // namespace genlab
