// The autoregressive family (FVSBN, NADE, MADE) on binary images: Adam on the exact NLL,
// MADE's mask sets cycled through during training (order/connectivity-agnostic when
// num_masks > 1), validation NLL at each evaluation, and at the end the test NLL (MADE:
// an ensemble of `ensemble` mask sets, as a mixture) and sampled images in the run file.
// Its `model:` keys are the library's MADEOptions plus the family's own.
#pragma once

#include "genlab/experiments/config/schema.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/autoregressive/made.h"
#include "genlab/models/autoregressive/transformer.h"

namespace genlab {

// LoRA fine-tuning of a transformer (rank 0: none).
struct LoRAFamilyOptions {
  int64_t rank = 0;
  double alpha = 8.0;
  std::vector<std::string> targets = {"qkv", "proj"};
};

template <class V>
void fields(V& v, LoRAFamilyOptions& o) {
  v.field("rank", o.rank, "adapter rank", between(0, 100000).with_note("0: no LoRA"));
  v.field("alpha", o.alpha, "the adapters' output is scaled by alpha / rank", between(0, 1e6, "(]"));
  v.field("targets", o.targets, "the blocks' Linear layers that get adapters",
          one_of({"qkv", "proj", "fc1", "fc2", "gate"}));
}

struct AutoregressiveFamilyOptions {
  std::string arch = "made";  // fvsbn | nade | made | transformer
  MADEOptions made;           // made: every key; nade: hidden[0] units; ordering: also transformer
  TransformerOptions transformer;  // transformer: layers, width, heads, mlp, mlp_width, norm
  int ensemble = 1;           // made: mask sets averaged (as a mixture) at test time
  int64_t samples = 64;       // images sampled into the run file
  double weight_decay = 0;    // AdamW's decoupled decay (not on 1-D parameters); 0: Adam
  std::string init_from;      // a run file whose /model weights start this model
  LoRAFamilyOptions lora;
};

template <class V>
void fields(V& v, AutoregressiveFamilyOptions& o) {
  if constexpr (V::reading)
  {
    v.check(is_image_data(data_of(v.context()).name), "family",
            "the autoregressive family models binary images (data.name: fashion_mnist or hdf5)");
    v.check(!is_continuous_image_data(data_of(v.context())), "family",
            "the autoregressive family models binary images: data.binarize none gives gray levels");
  }
  v.field("arch", o.arch, "the model", one_of({"fvsbn", "nade", "made", "transformer"}));
  v.field("hidden", o.made.hidden, "made: hidden layer sizes; nade: hidden[0] units",
          between(1, 100000));
  v.check(!o.made.hidden.empty(), "hidden", "needs at least one layer");
  v.field("activation", o.made.activation, "made: activation", one_of(activation_names()));
  v.field("ordering", o.made.ordering,
          "made, transformer: input ordering (random: made a new one per mask set, "
          "transformer one fixed permutation)");
  v.field("num_masks", o.made.num_masks, "made: mask sets cycled through in training",
          between(1, 1000));
  v.field("ensemble", o.ensemble, "made: mask sets averaged at test time", between(1, 1000));
  v.check(o.ensemble <= o.made.num_masks, "ensemble", "must be in [1, num_masks]");
  v.field("direct", o.made.direct, "made: direct input-to-output connections");
  v.field("layers", o.transformer.layers, "transformer: blocks", between(1, 1000));
  v.field("width", o.transformer.width, "transformer: model width (heads x an even head width)",
          between(2, 100000));
  v.field("heads", o.transformer.heads, "transformer: attention heads", between(1, 1000));
  v.check(o.transformer.width % o.transformer.heads == 0 &&
              (o.transformer.width / o.transformer.heads) % 2 == 0,
          "heads", "must divide width into an even head width (RoPE rotates pairs)");
  v.field("mlp", o.transformer.mlp, "transformer: gelu (W2 gelu(W1 x)) or swiglu (W2 (silu(W1 x) * W3 x))");
  v.field("mlp_width", o.transformer.mlp_width, "transformer: MLP hidden units",
          between(0, 1000000).with_note("0: 4 x width (gelu), 8/3 x width (swiglu)"));
  v.field("norm", o.transformer.norm, "transformer: pre-norm kind");
  v.field("checkpoint", o.transformer.checkpoint,
          "transformer: recompute each block's activations in the backward pass (less memory, "
          "one more forward)");
  v.field("dropout", o.transformer.dropout,
          "transformer: training dropout on the embeddings and each residual branch (masks "
          "from the run's checkpointed noise stream, so a resume is bitwise)", between(0, 1, "[)"));
  v.field("weight_decay", o.weight_decay,
          "AdamW's decoupled weight decay, not on biases, norms and token embeddings (1-D "
          "parameters); 0: Adam", between(0, 10));
  v.field("init_from", o.init_from,
          "a run file (.h5) of the same architecture whose final weights (/model) start "
          "this model, e.g. to fine-tune", Rule().or_auto("a fresh initialization"));
  v.section("lora", o.lora, "transformer: LoRA fine-tuning (the rest of the model frozen)");
  v.check(o.lora.rank == 0 || o.arch == "transformer", "lora", "needs arch: transformer");
  v.check(o.lora.rank == 0 || !o.lora.targets.empty(), "lora", "needs at least one target");
  v.field("samples", o.samples, "images sampled into /samples/images", between(0, 100000));
}

}  // namespace genlab
