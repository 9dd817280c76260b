// The diffusion / flow-matching family: a preconditioned DenoiserNet (VP, VE, EDM or
// flow; any output parameterization), Adam and an EMA of the weights, which it samples
// with. Its `model:` keys are the library's PreconditioningOptions and DenoiserNetOptions.
#pragma once

#include "genlab/experiments/config/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/diffusion/denoiser_net.h"
#include "genlab/models/diffusion/preconditioning.h"
#include "genlab/samplers/process.h"

namespace genlab {

struct DiffusionFamilyOptions {
  PreconditioningOptions preconditioning;
  DenoiserNetOptions net;  // net.dims comes from the data
};

template <class V>
void fields(V& v, DenoiserNetOptions& n) {
  v.field("width", n.width, "hidden width", between(1, 65536));
  v.field("depth", n.depth, "hidden layers (plain) or residual blocks", between(1, 64));
  v.field("activation", n.activation, "activation", one_of(activation_names()));
  v.field("embedding", n.embedding, "noise-level embedding", one_of(noise_embedding_kinds()));
  v.field("embedding_dim", n.embedding_dim, "embedding width (even)", between(2, 65536));
  v.check(n.embedding_dim % 2 == 0, "embedding_dim", "must be even");
  v.field("fourier_scale", n.fourier_scale, "fourier embedding: frequency scale", above(0));
  v.field("residual", n.residual, "residual blocks h += W2 act(W1 act(h))");
}

template <class V>
void fields(V& v, DiffusionFamilyOptions& o) {
  auto& p = o.preconditioning;
  if constexpr (V::reading)
    v.check(!is_image_data(v.context()->data.name), "family",
            "binary image data needs the autoregressive or vae family");
  v.field("process", p.process, "noise process (and its preconditioning)", one_of(process_names()));
  v.field("parameterization", p.parameterization,
          "what the network predicts (native: the process's own)",
          one_of(output_parameterizations()));
  v.field("sigma_data", p.sigma_data, "the data's standard deviation (EDM's sigma_data)", above(0));
  v.field("p_mean", p.p_mean, "edm: training ln sigma ~ N(p_mean, p_std^2)", between(-20, 20));
  v.field("p_std", p.p_std, "edm: see p_mean", between(0, 20, "(]"));
  v.field("flow_t", p.flow_t, "flow: training time distribution", one_of(flow_t_distributions()));
  v.section("net", o.net, "the denoiser network");
}

}  // namespace genlab
