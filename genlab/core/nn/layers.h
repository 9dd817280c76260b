// Layers: Linear, MaskedLinear, MLP, LayerNorm, Embedding. Each takes one options
// struct that maps one to one to its YAML section, and a Generator for its
// initialization (PyTorch's defaults: U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
//
//   Generator init(seed);
//   MLP net(MLPOptions{.in = 66, .out = 2, .width = 256, .depth = 4, .activation = "silu"}, init);
//   Tensor y = net.forward(x);   // parameters: layers.0.weight, layers.0.bias, ...
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/module.h"
#include "genlab/core/rng.h"

namespace genlab {

enum class Activation { relu, silu, gelu, gelu_tanh, tanh, sigmoid, softplus };

// Parses "silu" etc.; the error lists the allowed names.
Activation parse_activation(const std::string& name);
std::string activation_name(Activation a);
const std::vector<std::string>& activation_names();  // every name parse_activation accepts
Tensor activate(Activation a, const Tensor& x);

struct LinearOptions {
  int64_t in = 0;
  int64_t out = 0;
  bool bias = true;
};

struct LoRAOptions {
  int64_t rank = 4;
  float alpha = 8.0f;  // the low-rank path is scaled by alpha / rank
};

class Linear : public Module {
 public:
  Linear(const LinearOptions& options, Generator& init);
  // x [..., in] -> [..., out]: x W^T + b, plus (alpha / rank) (x A^T) B^T with LoRA.
  Tensor forward(const Tensor& x) const;
  // LoRA (Hu et al. 2022): freezes W and b and adds trainable A [rank, in] (uniform, as
  // W's initialization) and B [out, rank] = 0, so the layer starts equal to the frozen one
  // and learns a rank-r update (alpha / rank) B A. Parameters lora_A, lora_B.
  void add_lora(const LoRAOptions& options, Generator& init);
  bool has_lora() const { return lora_a_.defined(); }
  const Tensor& weight() const { return weight_; }  // [out, in]
  const Tensor& bias() const { return bias_; }      // [out] or undefined
  const LinearOptions& options() const { return options_; }

 private:
  LinearOptions options_;
  Tensor weight_, bias_;
  Tensor lora_a_, lora_b_;
  float lora_scale_ = 0.0f;
};

// A Linear layer whose weight is multiplied by a fixed 0/1 mask [out, in] (MADE).
class MaskedLinear : public Module {
 public:
  MaskedLinear(const LinearOptions& options, Generator& init);
  void set_mask(const Tensor& mask);
  const Tensor& mask() const { return mask_; }
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }

 private:
  LinearOptions options_;
  Tensor weight_, bias_, mask_;
};

struct MLPOptions {
  int64_t in = 0;
  int64_t out = 0;
  int64_t width = 256;
  int64_t depth = 4;  // hidden layers; depth + 1 Linear layers in all (0: one affine map)
  std::string activation = "silu";
};

class MLP : public Module {
 public:
  MLP(const MLPOptions& options, Generator& init);
  Tensor forward(const Tensor& x) const;
  const MLPOptions& options() const { return options_; }
  const std::vector<std::shared_ptr<Linear>>& layers() const { return layers_; }

 private:
  MLPOptions options_;
  Activation activation_;
  std::vector<std::shared_ptr<Linear>> layers_;
};

struct LayerNormOptions {
  int64_t dim = 0;
  float eps = 1e-5f;
  bool affine = true;
};

// Normalizes over the last axis: (x - mean) / sqrt(var + eps) * weight + bias.
class LayerNorm : public UnaryModule {
 public:
  explicit LayerNorm(const LayerNormOptions& options);
  Tensor forward(const Tensor& x) const override;

 private:
  LayerNormOptions options_;
  Tensor weight_, bias_;
};

struct RMSNormOptions {
  int64_t dim = 0;
  float eps = 1e-6f;
};

// RMSNorm (Zhang & Sennrich 2019, as LLaMA): x / sqrt(mean(x^2) + eps) * weight over the
// last axis; no centering, no bias.
class RMSNorm : public UnaryModule {
 public:
  explicit RMSNorm(const RMSNormOptions& options);
  Tensor forward(const Tensor& x) const override;

 private:
  RMSNormOptions options_;
  Tensor weight_;
};

struct EmbeddingOptions {
  int64_t num = 0;
  int64_t dim = 0;
};

// A table of num vectors of size dim, initialized N(0, 1); indices are integral floats.
class Embedding : public Module {
 public:
  Embedding(const EmbeddingOptions& options, Generator& init);
  Tensor forward(const Tensor& index) const;  // [...] -> [..., dim]
  const Tensor& weight() const { return weight_; }

 private:
  EmbeddingOptions options_;
  Tensor weight_;
};

}  // namespace genlab
