// A decoder-only Transformer over a binary vector, as the fourth autoregressive
// architecture (docs/MATH.md section 2): position p of the sequence holds a learned start
// token (p = 0) or the value of dimension order[p - 1], and its output is the logit of
// dimension order[p]. Pre-norm blocks (LayerNorm or RMSNorm), causal multi-head attention
// with rotary position embeddings through the fused attention op, an MLP with GELU or
// SwiGLU. One teacher-forced pass gives the exact log-likelihood; sampling keeps a KV
// cache, so each new token costs O(D) attention work instead of a full pass.
//
//   Transformer t({.dims = 196, .layers = 2, .width = 64, .heads = 4}, init);
//   Tensor ll = t.log_prob(x);        // [B] nats
//   Tensor s = t.sample(64, rng);     // KV-cached; AutoregressiveModel::sample is the
//                                     // uncached reference and draws the same samples
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/layers.h"
#include "genlab/models/autoregressive/autoregressive.h"

namespace genlab {

// The MLP of a block: gelu, W2 gelu(W1 x); swiglu, W2 (silu(W1 x) * W3 x).
enum class TransformerMlp { gelu, swiglu };
inline const std::vector<std::string>& names_of(TransformerMlp) {
  static const std::vector<std::string> names{"gelu", "swiglu"};
  return names;
}
// The pre-norm of a block: LayerNorm or RMSNorm.
enum class NormKind { layernorm, rmsnorm };
inline const std::vector<std::string>& names_of(NormKind) {
  static const std::vector<std::string> names{"layernorm", "rmsnorm"};
  return names;
}

struct TransformerOptions {
  int64_t dims = 784;
  int64_t layers = 2;
  int64_t width = 64;  // model width; heads divide it, head width even (RoPE pairs)
  int64_t heads = 4;
  TransformerMlp mlp = TransformerMlp::gelu;
  int64_t mlp_width = 0;           // hidden units; 0: 4 x width (gelu), 8/3 x width (swiglu)
  NormKind norm = NormKind::layernorm;
  InputOrdering ordering = InputOrdering::natural;  // random: a fixed permutation from order_seed
  uint64_t order_seed = 0;
  float rope_base = 10000.0f;
  // Gradient checkpointing of every block (genlab/core/checkpoint.h): training keeps each
  // block's input, not its intermediates, and recomputes them in the backward pass.
  bool checkpoint = false;
  // Training-time dropout on the token embeddings and on each residual branch (after the
  // attention's output projection and after the MLP), as GPT-2 places it; none on the
  // attention probabilities, which the fused attention op never materializes.
  float dropout = 0.0f;
};

// The normalization of a pre-norm block: LayerNorm or RMSNorm.
class BlockNorm : public Module {
 public:
  BlockNorm(NormKind kind, int64_t dim);
  Tensor forward(const Tensor& x) const;

 private:
  std::shared_ptr<UnaryModule> norm_;  // LayerNorm or RMSNorm
};

// Keys and values of the positions generated so far, one pair per block: [n, heads,
// capacity, head_width], filled up to `length`.
struct KvCache {
  std::vector<Tensor> keys, values;
  int64_t length = 0;
};

class TransformerBlock : public Module {
 public:
  TransformerBlock(const TransformerOptions& o, Generator& init);
  // h [B, T, width] at positions 0..T-1, causal; dropout masks from `dropout` when given.
  Tensor forward(const Tensor& h, const Tensor& positions, Generator* dropout = nullptr) const;
  // h [n, 1, width]: the token at position `position`, attending to the cache (which it
  // extends) of block `index`.
  Tensor forward_cached(const Tensor& h, int64_t position, KvCache& cache, size_t index) const;
  // The block's Linear layer by name: qkv, proj, fc1, fc2, gate (swiglu); null if absent.
  std::shared_ptr<Linear> linear(const std::string& name) const;

 private:
  Tensor mlp(const Tensor& x) const;
  // q, k, v [B, heads, T, head_width] from h [B, T, width], rotated by position.
  std::vector<Tensor> project(const Tensor& h, const Tensor& positions) const;
  Tensor merge_heads(const Tensor& a) const;  // [B, heads, T, hw] -> [B, T, width]

  TransformerOptions o_;
  std::shared_ptr<BlockNorm> norm1_, norm2_;
  std::shared_ptr<Linear> qkv_, proj_, fc1_, fc2_, gate_;
};

class Transformer : public AutoregressiveModel {
 public:
  Transformer(const TransformerOptions& options, Generator& init);
  int64_t dims() const override { return o_.dims; }
  Tensor logits(const Tensor& x) const override { return logits(x, nullptr); }
  // The teacher-forced pass with dropout masks drawn from `dropout` (null: none, as in
  // evaluation). A checkpointed block replays its masks in the backward pass.
  Tensor logits(const Tensor& x, Generator* dropout) const;
  Tensor training_log_prob(const Tensor& x, Generator& noise) const override;
  Tensor sample(int64_t n, Generator& rng) const override;
  std::vector<int64_t> order() const override { return order_; }
  const TransformerOptions& options() const { return o_; }
  // LoRA fine-tuning: freezes every parameter, then gives the blocks' Linear layers named
  // in `targets` (qkv, proj, fc1, fc2, gate) trainable low-rank adapters. The model's
  // output is unchanged until they train.
  void add_lora(const LoRAOptions& options, const std::vector<std::string>& targets, Generator& init);

 private:
  // The block stack's input for the first T positions of x [B, D] (in the model's order).
  Tensor embed(const Tensor& x, int64_t tokens) const;
  Tensor head(const Tensor& h) const;  // [B, T, width] -> [B, T]

  TransformerOptions o_;
  std::vector<int64_t> order_, position_of_;  // order_[p] = d, position_of_[d] = p
  Tensor start_, zero_, one_minus_zero_;       // token embeddings: start, value 0, value 1 - 0
  std::vector<std::shared_ptr<TransformerBlock>> blocks_;
  std::shared_ptr<BlockNorm> final_norm_;
  std::shared_ptr<Linear> out_;
};

}  // namespace genlab
