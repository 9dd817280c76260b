// The diffusion / flow-matching family: a preconditioned DenoiserNet (VP, VE, EDM or
// flow; any output parameterization), Adam and an EMA of the weights, which it samples
// with. Its `model:` keys are the library's PreconditioningOptions and DenoiserNetOptions.
#pragma once

#include "genlab/experiments/config/schema.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/diffusion/denoiser_net.h"
#include "genlab/models/diffusion/preconditioning.h"
#include "genlab/models/diffusion/unet.h"
#include "genlab/samplers/process.h"

namespace genlab {

// The `net:` section: the MLP's keys (DenoiserNetOptions; dims from the data), or with
// kind unet the U-Net's (image shape from the data; the embedding keys are shared).
struct DiffusionNetOptions : DenoiserNetOptions {
  std::string kind = "mlp";  // mlp | unet
  UNetOptions unet;
};

struct DiffusionFamilyOptions {
  PreconditioningOptions preconditioning;
  DiffusionNetOptions net;
  int64_t classes = 0;         // > 0: class-conditional on the data's labels (U-Net)
  double label_dropout = 0.1;  // conditional: P(a training label -> the null class)
};

// The keys both nets share: the noise-level embedding.
template <class V>
void embedding_fields(V& v, DenoiserNetOptions& n) {
  v.field("embedding", n.embedding.kind, "noise-level embedding", one_of(noise_embedding_kinds()));
  v.field("embedding_dim", n.embedding.dim, "embedding width (even)", between(2, 65536));
  v.check(n.embedding.dim % 2 == 0, "embedding_dim", "must be even");
  v.field("fourier_scale", n.embedding.fourier_scale, "fourier embedding: frequency scale", above(0));
}

template <class V>
void mlp_fields(V& v, DenoiserNetOptions& n) {
  v.field("width", n.width, "mlp: hidden width", between(1, 65536));
  v.field("depth", n.depth, "mlp: hidden layers (plain) or residual blocks", between(1, 64));
  v.field("activation", n.activation, "mlp: activation", one_of(activation_names()));
  v.field("residual", n.residual, "mlp: residual blocks h += W2 act(W1 act(h))");
}

template <class V>
void unet_fields(V& v, UNetOptions& u) {
  v.field("channels", u.channels, "unet: channels of the first level", between(1, 4096));
  v.field("channel_mult", u.channel_mult, "unet: channels per level (x channels); each level but "
          "the last halves the image", between(1, 64));
  v.check(!u.channel_mult.empty() && u.channel_mult.size() <= 6, "channel_mult", "needs 1 to 6 levels");
  v.field("blocks_per_level", u.blocks_per_level, "unet: residual blocks per level", between(1, 16));
  v.field("attention_resolutions", u.attention_resolutions,
          "unet: image sides (height) with self-attention after each block", between(1, 4096));
  v.field("attention_heads", u.attention_heads, "unet: heads of each self-attention", between(1, 64));
  v.field("norm_groups", u.norm_groups, "unet: group norm groups (at most the channels)", between(1, 1024));
  v.field("dropout", u.dropout, "unet: dropout in residual blocks while training", between(0, 1, "[)"));
}

// A kind's keys in a section of another kind: accepted at their defaults (run files of
// genlab 0.1 stored every kind's keys), refused with any other value.
template <class S, class Keys>
void refuse_other_kind(ConfigReader& v, const std::string& chosen, const char* other, Keys keys) {
  S given{}, defaults{};
  keys(v, given);
  ConfigReference names;
  keys(names, defaults);
  YAML::Emitter a, b;
  ConfigWriter wa(a), wb(b);
  a << YAML::BeginMap, b << YAML::BeginMap;
  keys(wa, given), keys(wb, defaults);
  a << YAML::EndMap, b << YAML::EndMap;
  const YAML::Node ga = YAML::Load(a.c_str()), gb = YAML::Load(b.c_str());
  for (const auto& row : names.rows())
    if (v.has(row.key.c_str()) && YAML::Dump(ga[row.key]) != YAML::Dump(gb[row.key]))
      v.fail(row.key.c_str(), std::string("a key of kind ") + other + "; model.net.kind is " + chosen);
}

template <class V>
void fields(V& v, DiffusionNetOptions& n) {
  v.field("kind", n.kind, "mlp (vectors) or unet (images, data.binarize: none)", one_of({"mlp", "unet"}));
  // A section holds the keys of its kind: the resolved config shows only those.
  const bool mlp = V::documenting || n.kind == "mlp", unet = V::documenting || n.kind == "unet";
  if (mlp) mlp_fields(v, static_cast<DenoiserNetOptions&>(n));
  embedding_fields(v, static_cast<DenoiserNetOptions&>(n));
  if (unet) unet_fields(v, n.unet);
  if constexpr (V::reading) {
    if (!mlp)
      refuse_other_kind<DenoiserNetOptions>(v, n.kind, "mlp",
                                            [](auto& w, DenoiserNetOptions& o) { mlp_fields(w, o); });
    if (!unet)
      refuse_other_kind<UNetOptions>(v, n.kind, "unet", [](auto& w, UNetOptions& o) { unet_fields(w, o); });
    const bool images = is_image_data(data_of(v.context()).name);
    v.check(n.kind != "unet" || images, "kind",
            "unet needs image data (data.name fashion_mnist or hdf5 with binarize: none); '" +
                data_of(v.context()).name + "' is vectors");
  }
}

template <class V>
void fields(V& v, DiffusionFamilyOptions& o) {
  auto& p = o.preconditioning;
  if constexpr (V::reading)
    v.check(!is_image_data(data_of(v.context()).name) || is_continuous_image_data(data_of(v.context())),
            "family",
            "diffusion on images needs data.binarize: none (gray levels in [-1, 1]); binary "
            "images are for the autoregressive and vae families");
  v.field("process", p.process, "noise process (and its preconditioning)", one_of(process_names()));
  v.field("parameterization", p.parameterization,
          "what the network predicts (native: the process's own)");
  v.field("sigma_data", p.sigma_data, "the data's standard deviation (EDM's sigma_data)", above(0));
  v.field("p_mean", p.p_mean, "edm: training ln sigma ~ N(p_mean, p_std^2)", between(-20, 20));
  v.field("p_std", p.p_std, "edm: see p_mean", between(0, 20, "(]"));
  v.field("flow_t", p.flow_t, "flow: training time distribution");
  v.field("classes", o.classes,
          "class-conditional on the data's labels 0..classes-1 (U-Net; for classifier-free "
          "guidance in the sampler variants)", between(0, 100000).with_note("0: unconditional"));
  v.field("label_dropout", o.label_dropout,
          "conditional: probability that a training label is replaced by the null class, so "
          "the one network is also unconditional", between(0, 1));
  v.section("net", o.net, "the denoiser network");
  v.check(o.classes == 0 || o.net.kind == "unet", "classes",
          "class conditioning needs model.net.kind: unet (the MLP is unconditional)");
}

}  // namespace genlab
