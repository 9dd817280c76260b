#include "genlab/models/diffusion/unet.h"

#include <algorithm>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

// h = conv2(dropout(silu(norm2(conv1(silu(norm1(x)))) (1 + scale) + shift))) + skip(x),
// with (scale, shift) a linear map of the embedding (ADM's adaptive group norm).
class UNetResBlock : public Module {
 public:
  UNetResBlock(int64_t in, int64_t out, int64_t emb, const UNetOptions& o, Generator& init)
      : out_(out), dropout_(o.dropout) {
    norm1_ = register_module("norm1", std::make_shared<GroupNorm>(GroupNormOptions{std::min(o.norm_groups, in), in}));
    conv1_ = register_module("conv1", std::make_shared<Conv2d>(Conv2dLayerOptions{.in = in, .out = out, .kernel = 3, .padding = 1}, init));
    affine_ = register_module("affine", std::make_shared<Linear>(LinearOptions{emb, 2 * out}, init));
    norm2_ = register_module("norm2", std::make_shared<GroupNorm>(GroupNormOptions{std::min(o.norm_groups, out), out}));
    conv2_ = register_module("conv2", std::make_shared<Conv2d>(
        Conv2dLayerOptions{.in = out, .out = out, .kernel = 3, .padding = 1, .zero_init = true}, init));
    if (in != out)
      skip_ = register_module("skip", std::make_shared<Conv2d>(Conv2dLayerOptions{.in = in, .out = out, .kernel = 1}, init));
  }

  Tensor forward(const Tensor& x, const Tensor& emb, Generator* dropout) const {
    Tensor h = conv1_->forward(silu(norm1_->forward(x)));
    const Tensor ss = reshape(affine_->forward(emb), {x.size(0), 2 * out_, 1, 1});
    const Tensor scale = slice(ss, 1, 0, out_), shift = slice(ss, 1, out_, 2 * out_);
    h = silu(add(mul(norm2_->forward(h), add_scalar(scale, 1.0f)), shift));
    if (dropout && dropout_ > 0.0f) h = genlab::dropout(h, dropout_, *dropout);
    return add(skip_ ? skip_->forward(x) : x, conv2_->forward(h));
  }

 private:
  int64_t out_;
  float dropout_;
  std::shared_ptr<GroupNorm> norm1_, norm2_;
  std::shared_ptr<Conv2d> conv1_, conv2_, skip_;
  std::shared_ptr<Linear> affine_;
};

// x + proj(attention(q, k, v)) over the pixels, q, k, v from a 1x1 convolution of norm(x).
class UNetAttention : public Module {
 public:
  UNetAttention(int64_t channels, const UNetOptions& o, Generator& init)
      : channels_(channels), heads_(o.attention_heads) {
    if (channels % heads_)
      throw std::invalid_argument("unet: " + std::to_string(channels) + " channels do not split into " +
                                  std::to_string(heads_) + " attention heads");
    norm_ = register_module("norm", std::make_shared<GroupNorm>(GroupNormOptions{std::min(o.norm_groups, channels), channels}));
    qkv_ = register_module("qkv", std::make_shared<Conv2d>(Conv2dLayerOptions{.in = channels, .out = 3 * channels, .kernel = 1}, init));
    proj_ = register_module("proj", std::make_shared<Conv2d>(
        Conv2dLayerOptions{.in = channels, .out = channels, .kernel = 1, .zero_init = true}, init));
  }

  Tensor forward(const Tensor& x) const {
    const int64_t b = x.size(0), hw = x.size(2) * x.size(3), d = channels_ / heads_;
    // [B, 3C, H, W] -> three [B, heads, HW, d]
    const Tensor qkv = reshape(qkv_->forward(norm_->forward(x)), {b, 3, heads_, d, hw});
    auto part = [&](int i) { return transpose(squeeze(slice(qkv, 1, i, i + 1), 1), 2, 3); };
    const Tensor a = scaled_dot_product_attention(part(0), part(1), part(2));
    return add(x, proj_->forward(reshape(transpose(a, 2, 3), x.shape())));
  }

 private:
  int64_t channels_, heads_;
  std::shared_ptr<GroupNorm> norm_;
  std::shared_ptr<Conv2d> qkv_, proj_;
};

namespace {

// Options a U-Net cannot be built from, refused with what they must be.
void check_unet_options(const UNetOptions& o) {
  if (o.image.size() != 3 || o.image[0] < 1 || o.image[1] < 1 || o.image[2] < 1)
    throw std::invalid_argument("unet: image must be [channels, height, width]");
  if (o.channels < 1 || o.channel_mult.empty() || o.blocks_per_level < 1 || o.embedding.dim < 2 ||
      o.embedding.dim % 2 || o.norm_groups < 1 || o.attention_heads < 1 || !(o.dropout >= 0.0f && o.dropout < 1.0f))
    throw std::invalid_argument("unet: channels, channel_mult, blocks_per_level, norm_groups, "
                                "attention_heads >= 1, an even embedding_dim >= 2, dropout in [0, 1)");
  const int64_t levels = static_cast<int64_t>(o.channel_mult.size());
  if (o.image[1] % (int64_t{1} << (levels - 1)) || o.image[2] % (int64_t{1} << (levels - 1)))
    throw std::invalid_argument("unet: " + std::to_string(levels) + " levels halve the image " +
                                std::to_string(levels - 1) + " times; " + std::to_string(o.image[1]) +
                                "x" + std::to_string(o.image[2]) + " does not divide");
  if (o.num_classes < 0) throw std::invalid_argument("unet: num_classes must be >= 0");
}

}  // namespace

UNet::UNet(const UNetOptions& o, Generator& init) : o_(o) {
  check_unet_options(o);
  const int64_t levels = static_cast<int64_t>(o.channel_mult.size());
  embedding_ = register_module("embedding", make_noise_embedding(o.embedding, init, "unet"));
  const int64_t emb = 4 * o.channels;
  if (o.num_classes > 0)
    label_ = register_module("label", std::make_shared<Embedding>(
        EmbeddingOptions{.num = o.num_classes + 1, .dim = o.embedding.dim}, init));
  embed1_ = register_module("embed1", std::make_shared<Linear>(LinearOptions{o.embedding.dim, emb}, init));
  embed2_ = register_module("embed2", std::make_shared<Linear>(LinearOptions{emb, emb}, init));
  input_ = register_module("input", std::make_shared<Conv2d>(
      Conv2dLayerOptions{.in = o.image[0], .out = o.channels, .kernel = 3, .padding = 1}, init));
  auto wants_attention = [&](int64_t side) {
    return std::find(o.attention_resolutions.begin(), o.attention_resolutions.end(), side) !=
           o.attention_resolutions.end();
  };
  auto stages = register_module("stages", std::make_shared<ModuleList>());
  auto add_block = [&](std::vector<Stage>& list, int64_t in, int64_t out, int64_t side) {
    Stage s;
    s.block = stages->push_back(std::make_shared<UNetResBlock>(in, out, emb, o, init));
    if (wants_attention(side)) s.attention = stages->push_back(std::make_shared<UNetAttention>(out, o, init));
    list.push_back(s);
  };
  // Encoder: the channel count after each stage is what its skip connection carries.
  std::vector<int64_t> skips{o.channels};
  int64_t ch = o.channels, side = o.image[1];
  for (int64_t l = 0; l < levels; ++l) {
    for (int64_t b = 0; b < o.blocks_per_level; ++b) {
      add_block(encoder_, ch, o.channels * o.channel_mult[l], side);
      ch = o.channels * o.channel_mult[l];
      skips.push_back(ch);
    }
    if (l + 1 < levels) {
      Stage down;
      down.down = true;
      encoder_.push_back(down);
      skips.push_back(ch);
      side /= 2;
    }
  }
  add_block(middle_, ch, ch, side);
  if (!middle_.back().attention) middle_.back().attention = stages->push_back(std::make_shared<UNetAttention>(ch, o, init));
  add_block(middle_, ch, ch, side);
  // Decoder: one block per skip, from the deepest.
  for (int64_t l = levels - 1; l >= 0; --l) {
    for (int64_t b = 0; b <= o.blocks_per_level; ++b) {
      const int64_t skip = skips.back();
      skips.pop_back();
      add_block(decoder_, ch + skip, o.channels * o.channel_mult[l], side);
      ch = o.channels * o.channel_mult[l];
    }
    if (l > 0) {
      Stage up;
      up.up = true;
      up.resample = stages->push_back(std::make_shared<Conv2d>(
          Conv2dLayerOptions{.in = ch, .out = ch, .kernel = 3, .padding = 1}, init));
      decoder_.push_back(up);
      side *= 2;
    }
  }
  output_norm_ = register_module("output_norm", std::make_shared<GroupNorm>(GroupNormOptions{std::min(o.norm_groups, ch), ch}));
  output_ = register_module("output", std::make_shared<Conv2d>(
      Conv2dLayerOptions{.in = ch, .out = o.image[0], .kernel = 3, .padding = 1, .zero_init = true}, init));
}

Tensor UNet::forward(const Tensor& x_in, const Tensor& c_noise, Generator* dropout) const {
  return forward(x_in, c_noise, Tensor(), dropout);
}

Tensor UNet::forward(const Tensor& x_in, const Tensor& c_noise, const Tensor& labels,
                     Generator* dropout) const {
  const Shape image = {x_in.size(0), o_.image[0], o_.image[1], o_.image[2]};
  if (x_in.numel() != numel(image))
    throw std::invalid_argument("unet: input of shape " + shape_str(x_in.shape()) +
                                " is not a batch of images " + shape_str(image));
  Tensor noise = embedding_->forward(c_noise);
  if (label_) {
    const Tensor l = labels.defined() ? labels
                                      : Tensor::from_indices(std::vector<int32_t>(x_in.size(0),
                                                             static_cast<int32_t>(o_.num_classes)),
                                                             {x_in.size(0)});
    if (!l.is_index() || l.dim() != 1 || l.size(0) != x_in.size(0))
      throw std::invalid_argument("unet: labels must be int32 [" + std::to_string(x_in.size(0)) +
                                  "], got " + shape_str(l.shape()));
    noise = add(noise, label_->forward(l));
  } else if (labels.defined()) {
    throw std::invalid_argument("unet: labels given to an unconditional U-Net (num_classes 0)");
  }
  const Tensor emb = silu(embed2_->forward(silu(embed1_->forward(noise))));
  auto run = [&](const Stage& s, const Tensor& h) {
    const Tensor y = s.block->forward(h, emb, dropout);
    return s.attention ? s.attention->forward(y) : y;
  };
  Tensor h = input_->forward(reshape(x_in, image));
  std::vector<Tensor> skips{h};
  for (const Stage& s : encoder_) {
    h = s.down ? downsample2d(h) : run(s, h);
    skips.push_back(h);
  }
  for (const Stage& s : middle_) h = run(s, h);
  for (const Stage& s : decoder_) {
    if (s.up) {
      h = s.resample->forward(upsample2d(h));
      continue;
    }
    h = run(s, concat({h, skips.back()}, 1));
    skips.pop_back();
  }
  return reshape(output_->forward(silu(output_norm_->forward(h))), x_in.shape());
}

int64_t UNet::parameter_count() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

}  // namespace genlab
