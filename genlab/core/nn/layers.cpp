#include "genlab/core/nn/layers.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {

namespace {
const std::vector<std::pair<std::string, Activation>> kActivations = {
    {"relu", Activation::relu},           {"silu", Activation::silu},
    {"gelu", Activation::gelu},           {"gelu_tanh", Activation::gelu_tanh},
    {"tanh", Activation::tanh},           {"sigmoid", Activation::sigmoid},
    {"softplus", Activation::softplus}};

Tensor uniform_init(Generator& g, const Shape& shape, int64_t fan_in) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(fan_in, 1)));
  return g.uniform(shape, -bound, bound);
}

void check_positive(int64_t v, const char* what) {
  if (v <= 0) throw std::invalid_argument(std::string(what) + " must be positive, got " + std::to_string(v));
}
}  // namespace

Activation parse_activation(const std::string& name) {
  std::string allowed;
  for (const auto& [n, a] : kActivations) {
    if (n == name) return a;
    allowed += (allowed.empty() ? "" : ", ") + n;
  }
  throw std::invalid_argument("unknown activation '" + name + "' (allowed: " + allowed + ")");
}

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, a] : kActivations) n.push_back(name);
    return n;
  }();
  return names;
}

std::string activation_name(Activation a) {
  for (const auto& [n, act] : kActivations)
    if (act == a) return n;
  return "?";
}

Tensor activate(Activation a, const Tensor& x) {
  switch (a) {
    case Activation::relu: return relu(x);
    case Activation::silu: return silu(x);
    case Activation::gelu: return gelu(x, false);
    case Activation::gelu_tanh: return gelu(x, true);
    case Activation::tanh: return tanh(x);
    case Activation::sigmoid: return sigmoid(x);
    case Activation::softplus: return softplus(x);
  }
  return x;
}

Linear::Linear(const LinearOptions& options, Generator& init) : options_(options) {
  check_positive(options.in, "Linear: in");
  check_positive(options.out, "Linear: out");
  weight_ = register_parameter("weight", uniform_init(init, {options.out, options.in}, options.in));
  if (options.bias) bias_ = register_parameter("bias", uniform_init(init, {options.out}, options.in));
}

Tensor Linear::forward(const Tensor& x) const {
  if (x.dim() < 1 || x.shape().back() != options_.in)
    throw std::invalid_argument("Linear: input of shape " + shape_str(x.shape()) +
                                ", expected last axis " + std::to_string(options_.in));
  Tensor y = matmul(x, weight_, false, true);
  if (bias_.defined()) y = y + bias_;
  if (lora_a_.defined()) y = y + matmul(matmul(x, lora_a_, false, true), lora_b_, false, true) * lora_scale_;
  return y;
}

void Linear::add_lora(const LoRAOptions& o, Generator& init) {
  if (lora_a_.defined()) throw std::logic_error("Linear: LoRA added twice");
  check_positive(o.rank, "Linear: LoRA rank");
  weight_.requires_grad_(false);
  if (bias_.defined()) bias_.requires_grad_(false);
  lora_a_ = register_parameter("lora_A", uniform_init(init, {o.rank, options_.in}, options_.in));
  lora_b_ = register_parameter("lora_B", Tensor::zeros({options_.out, o.rank}));
  lora_scale_ = o.alpha / static_cast<float>(o.rank);
}

MaskedLinear::MaskedLinear(const LinearOptions& options, Generator& init) : options_(options) {
  check_positive(options.in, "MaskedLinear: in");
  check_positive(options.out, "MaskedLinear: out");
  weight_ = register_parameter("weight", uniform_init(init, {options.out, options.in}, options.in));
  if (options.bias) bias_ = register_parameter("bias", uniform_init(init, {options.out}, options.in));
  mask_ = register_buffer("mask", Tensor::ones({options.out, options.in}));
}

void MaskedLinear::set_mask(const Tensor& mask) {
  if (mask.shape() != mask_.shape())
    throw std::invalid_argument("MaskedLinear: mask of shape " + shape_str(mask.shape()) +
                                ", expected " + shape_str(mask_.shape()));
  mask_.copy_(mask);
}

Tensor MaskedLinear::forward(const Tensor& x) const {
  const Tensor y = matmul(x, weight_ * mask_, false, true);
  return bias_.defined() ? y + bias_ : y;
}

MLP::MLP(const MLPOptions& options, Generator& init)
    : options_(options), activation_(parse_activation(options.activation)) {
  // depth 0 is one Linear layer (an affine map), e.g. a linear-Gaussian decoder.
  if (options.depth < 0)
    throw std::invalid_argument("MLP: depth must be >= 0, got " + std::to_string(options.depth));
  check_positive(options.width, "MLP: width");
  check_positive(options.in, "MLP: in");
  check_positive(options.out, "MLP: out");
  auto list = register_module("layers", std::make_shared<ModuleList>());
  int64_t in = options.in;
  for (int64_t i = 0; i <= options.depth; ++i) {
    const int64_t out = i == options.depth ? options.out : options.width;
    layers_.push_back(list->push_back(std::make_shared<Linear>(LinearOptions{in, out, true}, init)));
    in = out;
  }
}

Tensor MLP::forward(const Tensor& x) const {
  Tensor h = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i]->forward(h);
    if (i + 1 < layers_.size()) h = activate(activation_, h);
  }
  return h;
}

LayerNorm::LayerNorm(const LayerNormOptions& options) : options_(options) {
  check_positive(options.dim, "LayerNorm: dim");
  if (options.affine) {
    weight_ = register_parameter("weight", Tensor::ones({options.dim}));
    bias_ = register_parameter("bias", Tensor::zeros({options.dim}));
  }
}

Tensor LayerNorm::forward(const Tensor& x) const {
  if (x.dim() < 1 || x.shape().back() != options_.dim)
    throw std::invalid_argument("LayerNorm: input of shape " + shape_str(x.shape()) +
                                ", expected last axis " + std::to_string(options_.dim));
  const Tensor centered = x - mean(x, {-1}, true);
  const Tensor var = mean(square(centered), {-1}, true);
  const Tensor y = centered / sqrt(var + options_.eps);
  return options_.affine ? y * weight_ + bias_ : y;
}

RMSNorm::RMSNorm(const RMSNormOptions& options) : options_(options) {
  check_positive(options.dim, "RMSNorm: dim");
  weight_ = register_parameter("weight", Tensor::ones({options.dim}));
}

Tensor RMSNorm::forward(const Tensor& x) const {
  if (x.dim() < 1 || x.shape().back() != options_.dim)
    throw std::invalid_argument("RMSNorm: input of shape " + shape_str(x.shape()) +
                                ", expected last axis " + std::to_string(options_.dim));
  return x / sqrt(mean(square(x), {-1}, true) + options_.eps) * weight_;
}

Embedding::Embedding(const EmbeddingOptions& options, Generator& init) : options_(options) {
  check_positive(options.num, "Embedding: num");
  check_positive(options.dim, "Embedding: dim");
  weight_ = register_parameter("weight", init.normal({options.num, options.dim}));
}

Tensor Embedding::forward(const Tensor& index) const {
  Shape out_shape = index.shape();
  out_shape.push_back(options_.dim);
  return reshape(index_select(weight_, 0, reshape(index.detach(), {-1})), out_shape);
}

}  // namespace genlab
