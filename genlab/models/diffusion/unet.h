// An ADM / EDM-style U-Net for image denoisers, scaled down for the CPU: residual blocks
// (GroupNorm, SiLU, conv 3x3, dropout) that take the noise embedding as a scale and
// shift, self-attention (the fused op) at chosen resolutions, skip connections from every
// encoder block to the decoder, 2x2 average downsampling and nearest upsampling + conv.
// It implements DenoiserNet's contract on flattened images, so preconditioning, losses
// and samplers see vectors of C*H*W values:
//
//   UNet net({.image = {1, 28, 28}, .channels = 32, .channel_mult = {1, 2, 2}}, init);
//   Tensor f = net.forward(x_in, c_noise);   // [B, 784], [B] -> [B, 784]
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/nn/conv_layers.h"
#include "genlab/core/nn/embeddings.h"
#include "genlab/core/nn/layers.h"

namespace genlab {

struct UNetOptions {
  std::vector<int64_t> image = {1, 28, 28};   // channels, height, width
  int64_t channels = 32;                      // of the first level
  std::vector<int64_t> channel_mult = {1, 2, 2};  // per level; each level but the last halves H, W
  int64_t blocks_per_level = 1;
  std::vector<int64_t> attention_resolutions = {7};  // image sides (H) with self-attention
  int64_t attention_heads = 1;
  int64_t norm_groups = 8;
  float dropout = 0.0f;
  NoiseEmbeddingOptions embedding = {};  // of c_noise, shared with the MLP's options
  // > 0: class-conditional. A label's embedding (a table of num_classes + 1 rows, the
  // last the null class) is added to the noise embedding, as in EDM and ADM.
  int64_t num_classes = 0;
};

class UNetResBlock;
class UNetAttention;

class UNet : public Module {
 public:
  UNet(const UNetOptions& options, Generator& init);
  // x_in [B, C*H*W] (or [B, C, H, W]), c_noise [B] -> the same shape as x_in. With a
  // generator, dropout is applied (training); without, it is not. A conditional U-Net
  // takes int32 labels [B] (num_classes: the null class); without, every row is null.
  Tensor forward(const Tensor& x_in, const Tensor& c_noise, Generator* dropout = nullptr) const;
  Tensor forward(const Tensor& x_in, const Tensor& c_noise, const Tensor& labels,
                 Generator* dropout = nullptr) const;
  const UNetOptions& options() const { return o_; }
  int64_t parameter_count() const;

 private:
  struct Stage {  // one encoder or decoder step: a block (+ attention), or a resampling
    std::shared_ptr<UNetResBlock> block;
    std::shared_ptr<UNetAttention> attention;
    std::shared_ptr<Conv2d> resample;  // decoder: conv after upsampling; encoder: none
    bool down = false, up = false;
  };
  UNetOptions o_;
  std::shared_ptr<UnaryModule> embedding_;
  std::shared_ptr<Linear> embed1_, embed2_;
  std::shared_ptr<Embedding> label_;  // conditional only
  std::shared_ptr<Conv2d> input_, output_;
  std::shared_ptr<GroupNorm> output_norm_;
  std::vector<Stage> encoder_, middle_, decoder_;
};

}  // namespace genlab
