#include "genlab/core/backend.h"
#include "genlab/models/autoregressive/transformer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/checkpoint.h"
#include "genlab/core/ops.h"

namespace genlab {
namespace {

Tensor indices(const std::vector<int64_t>& v) {
  return Tensor::from_indices(std::vector<int32_t>(v.begin(), v.end()), {static_cast<int64_t>(v.size())});
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("Transformer: " + what);
}

int64_t mlp_width(const TransformerOptions& o) {
  if (o.mlp_width > 0) return o.mlp_width;
  // SwiGLU's three matrices at 8/3 x width cost what GELU's two at 4 x width do (LLaMA).
  return o.mlp == TransformerMlp::swiglu ? (8 * o.width + 2) / 3 : 4 * o.width;
}

}  // namespace

BlockNorm::BlockNorm(NormKind kind, int64_t dim) {
  // Registered under its kind's name (layer_norm.weight, rms_norm.weight in checkpoints).
  if (kind == NormKind::layernorm)
    norm_ = register_module("layer_norm", std::make_shared<LayerNorm>(LayerNormOptions{.dim = dim}));
  else
    norm_ = register_module("rms_norm", std::make_shared<RMSNorm>(RMSNormOptions{.dim = dim}));
}

Tensor BlockNorm::forward(const Tensor& x) const { return norm_->forward(x); }

TransformerBlock::TransformerBlock(const TransformerOptions& o, Generator& init) : o_(o) {
  const int64_t w = o.width, hidden = mlp_width(o);
  norm1_ = register_module("norm1", std::make_shared<BlockNorm>(o.norm, w));
  qkv_ = register_module("qkv", std::make_shared<Linear>(LinearOptions{w, 3 * w, false}, init));
  proj_ = register_module("proj", std::make_shared<Linear>(LinearOptions{w, w}, init));
  norm2_ = register_module("norm2", std::make_shared<BlockNorm>(o.norm, w));
  fc1_ = register_module("fc1", std::make_shared<Linear>(LinearOptions{w, hidden}, init));
  if (o.mlp == TransformerMlp::swiglu)
    gate_ = register_module("gate", std::make_shared<Linear>(LinearOptions{w, hidden}, init));
  fc2_ = register_module("fc2", std::make_shared<Linear>(LinearOptions{hidden, w}, init));
}

std::vector<Tensor> TransformerBlock::project(const Tensor& h, const Tensor& positions) const {
  const int64_t b = h.size(0), t = h.size(1), heads = o_.heads, hw = o_.width / o_.heads;
  const Tensor qkv = permute(reshape(qkv_->forward(norm1_->forward(h)), {b, t, 3, heads, hw}),
                             {2, 0, 3, 1, 4});  // [3, B, heads, T, hw]
  auto part = [&](int64_t k) { return reshape(slice(qkv, 0, k, k + 1), {b, heads, t, hw}); };
  return {rotary_embedding(part(0), positions, o_.rope_base),
          rotary_embedding(part(1), positions, o_.rope_base), part(2)};
}

Tensor TransformerBlock::merge_heads(const Tensor& a) const {
  return reshape(permute(a, {0, 2, 1, 3}), {a.size(0), a.size(2), o_.width});
}

Tensor TransformerBlock::mlp(const Tensor& x) const {
  if (gate_) return fc2_->forward(silu(fc1_->forward(x)) * gate_->forward(x));
  return fc2_->forward(gelu(fc1_->forward(x)));
}

Tensor TransformerBlock::forward(const Tensor& h, const Tensor& positions, Generator* dropout) const {
  auto drop = [&](const Tensor& branch) {
    return dropout && o_.dropout > 0.0f ? genlab::dropout(branch, o_.dropout, *dropout) : branch;
  };
  const auto qkv = project(h, positions);
  const Tensor a = scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], {.causal = true});
  const Tensor r = h + drop(proj_->forward(merge_heads(a)));
  return r + drop(mlp(norm2_->forward(r)));
}

std::shared_ptr<Linear> TransformerBlock::linear(const std::string& name) const {
  if (name == "qkv") return qkv_;
  if (name == "proj") return proj_;
  if (name == "fc1") return fc1_;
  if (name == "fc2") return fc2_;
  if (name == "gate") return gate_;
  return nullptr;
}

Tensor TransformerBlock::forward_cached(const Tensor& h, int64_t position, KvCache& cache,
                                        size_t index) const {
  const auto qkv = project(h, Tensor::full({1}, static_cast<float>(position)));
  Tensor& keys = cache.keys.at(index);
  Tensor& values = cache.values.at(index);
  const int64_t n = keys.size(0), heads = keys.size(1), capacity = keys.size(2), hw = keys.size(3);
  if (position >= capacity) throw std::logic_error("Transformer: KV cache full");
  // Row (i, head) of the new key and value goes to slot `position`.
  // One strided copy on the cache's device: rows (i, head) of hw values each.
  Backend& dev = backend(keys.device());
  dev.copy_rows(qkv[1].data(), hw, keys.data() + position * hw, capacity * hw, n * heads, hw, false);
  dev.copy_rows(qkv[2].data(), hw, values.data() + position * hw, capacity * hw, n * heads, hw,
                false);
  const Tensor a = scaled_dot_product_attention(qkv[0], slice(keys, 2, 0, position + 1),
                                                slice(values, 2, 0, position + 1));
  const Tensor r = h + proj_->forward(merge_heads(a));
  return r + mlp(norm2_->forward(r));
}

Transformer::Transformer(const TransformerOptions& o, Generator& init) : o_(o) {
  check(o.dims >= 1, "dims must be >= 1");
  check(o.layers >= 1 && o.width >= 2 && o.heads >= 1, "needs layers >= 1, width >= 2, heads >= 1");
  check(o.width % o.heads == 0 && (o.width / o.heads) % 2 == 0,
        "width must be heads x an even head width (RoPE rotates pairs), got width " +
            std::to_string(o.width) + " with " + std::to_string(o.heads) + " heads");
  check(o.dropout >= 0.0f && o.dropout < 1.0f, "dropout must be in [0, 1)");
  order_.resize(o.dims);
  std::iota(order_.begin(), order_.end(), 0);
  if (o.ordering == InputOrdering::random) {
    const auto u = Generator(o.order_seed).derive("transformer_order").uniform({o.dims}).to_vector();
    std::stable_sort(order_.begin(), order_.end(), [&](int64_t a, int64_t b) { return u[a] < u[b]; });
  }
  position_of_.resize(o.dims);
  for (int64_t p = 0; p < o.dims; ++p) position_of_[order_[p]] = p;
  // Binary tokens embed as zero + x (one - zero): an Embedding of {0, 1} that stays
  // differentiable in x, so the autoregressive property can be checked by gradients.
  start_ = register_parameter("start", init.normal({o.width}, 0.0f, 0.02f));
  zero_ = register_parameter("token_zero", init.normal({o.width}, 0.0f, 0.02f));
  one_minus_zero_ = register_parameter("token_one_minus_zero", init.normal({o.width}, 0.0f, 0.02f));
  for (int64_t l = 0; l < o.layers; ++l)
    blocks_.push_back(register_module("block" + std::to_string(l),
                                      std::make_shared<TransformerBlock>(o, init)));
  final_norm_ = register_module("final_norm", std::make_shared<BlockNorm>(o.norm, o.width));
  out_ = register_module("out", std::make_shared<Linear>(LinearOptions{o.width, 1}, init));
}

void Transformer::add_lora(const LoRAOptions& options, const std::vector<std::string>& targets,
                           Generator& init) {
  check(!targets.empty(), "LoRA needs at least one target (qkv, proj, fc1, fc2, gate)");
  for (const auto& name : targets)
    check(blocks_.front()->linear(name) != nullptr,
          "LoRA target '" + name + "' is not a Linear layer of this model (allowed: qkv, proj, fc1, fc2" +
              (o_.mlp == TransformerMlp::swiglu ? ", gate)" : ")"));
  freeze();
  for (const auto& block : blocks_)
    for (const auto& name : targets) block->linear(name)->add_lora(options, init);
}

Tensor Transformer::embed(const Tensor& x, int64_t tokens) const {
  const int64_t b = x.size(0), w = o_.width;
  const Tensor start = broadcast_to(reshape(start_, {1, 1, w}), {b, 1, w});
  if (tokens == 1) return start;
  const std::vector<int64_t> shown(order_.begin(), order_.begin() + (tokens - 1));
  const Tensor values = unsqueeze(index_select(x, 1, indices(shown)), 2);  // [B, T-1, 1]
  return concat({start, values * reshape(one_minus_zero_, {1, 1, w}) + reshape(zero_, {1, 1, w})}, 1);
}

Tensor Transformer::head(const Tensor& h) const {
  return reshape(out_->forward(final_norm_->forward(h)), {h.size(0), h.size(1)});
}

Tensor Transformer::training_log_prob(const Tensor& x, Generator& noise) const {
  return bernoulli_log_prob(logits(x, o_.dropout > 0.0f ? &noise : nullptr), x);
}

Tensor Transformer::logits(const Tensor& x, Generator* dropout) const {
  if (x.dim() != 2 || x.size(1) != o_.dims)
    throw std::invalid_argument("Transformer: x must be [batch, " + std::to_string(o_.dims) +
                                "], got " + shape_str(x.shape()));
  const Tensor positions = Tensor::arange(o_.dims);
  Tensor h = embed(x, o_.dims);
  if (dropout && o_.dropout > 0.0f) h = genlab::dropout(h, o_.dropout, *dropout);
  for (const auto& block : blocks_) {
    const TransformerBlock* b = block.get();
    if (!o_.checkpoint) {
      h = b->forward(h, positions, dropout);
      continue;
    }
    // The recomputation must draw the masks the forward drew: the block always starts
    // from a copy of the stream's state here, and the stream moves on to where the
    // block's own draws left it.
    const std::optional<Generator> start = dropout ? std::optional<Generator>(*dropout) : std::nullopt;
    auto end = std::make_shared<GeneratorState>();
    h = genlab::checkpoint([b, positions, start, end](const std::vector<Tensor>& in) {
          std::optional<Generator> g = start;
          const Tensor out = b->forward(in[0], positions, g ? &*g : nullptr);
          if (g) *end = g->state();
          return out;
        }, {h}, b->parameters());
    if (dropout) dropout->set_state(*end);
  }
  // Position p predicts dimension order[p]: back into dimension order.
  return index_select(head(h), 1, indices(position_of_));
}

Tensor Transformer::sample(int64_t n, Generator& rng) const {
  NoGradGuard no_grad;
  const int64_t d = o_.dims, w = o_.width, hw = o_.width / o_.heads;
  KvCache cache;
  for (size_t l = 0; l < blocks_.size(); ++l) {
    cache.keys.push_back(Tensor::zeros({n, o_.heads, d, hw}));
    cache.values.push_back(Tensor::zeros({n, o_.heads, d, hw}));
  }
  std::vector<float> x(static_cast<size_t>(n * d), 0.0f), last(static_cast<size_t>(n), 0.0f);
  for (int64_t p = 0; p < d; ++p) {
    Tensor h = p == 0 ? broadcast_to(reshape(start_, {1, 1, w}), {n, 1, w})
                      : Tensor::from_vector(last, {n, 1, 1}) * reshape(one_minus_zero_, {1, 1, w}) +
                            reshape(zero_, {1, 1, w});
    for (size_t l = 0; l < blocks_.size(); ++l) h = blocks_[l]->forward_cached(h, p, cache, l);
    const auto logit = head(h).to_vector();
    // The draw and the comparison of AutoregressiveModel::sample, so both give the same bits.
    const auto u = rng.uniform({n}).to_vector();
    for (int64_t i = 0; i < n; ++i) {
      last[i] = u[i] < 1.0f / (1.0f + std::exp(-logit[i])) ? 1.0f : 0.0f;
      x[i * d + order_[p]] = last[i];
    }
  }
  return Tensor::from_vector(x, {n, d});
}

}  // namespace genlab
