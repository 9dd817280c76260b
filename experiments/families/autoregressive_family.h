// The autoregressive family (FVSBN, NADE, MADE) on binary images: Adam on the exact NLL,
// MADE's mask sets cycled through during training (order/connectivity-agnostic when
// num_masks > 1), validation NLL at each evaluation, and at the end the test NLL (MADE:
// an ensemble of `ensemble` mask sets, as a mixture) and sampled images in the run file.
// Its `model:` keys are the library's MADEOptions plus the family's own.
#pragma once

#include "genlab/experiments/config/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/autoregressive/made.h"

namespace genlab {

struct AutoregressiveFamilyOptions {
  std::string arch = "made";  // fvsbn | nade | made
  MADEOptions made;           // made: every key; nade: hidden[0] units
  int ensemble = 1;           // made: mask sets averaged (as a mixture) at test time
  int64_t samples = 64;       // images sampled into the run file
};

template <class V>
void fields(V& v, AutoregressiveFamilyOptions& o) {
  if constexpr (V::reading)
  {
    v.check(is_image_data(v.context()->data.name), "family",
            "the autoregressive family models binary images (data.name: fashion_mnist or hdf5)");
    v.check(!is_continuous_image_data(v.context()->data), "family",
            "the autoregressive family models binary images: data.binarize none gives gray levels");
  }
  v.field("arch", o.arch, "the model", one_of({"fvsbn", "nade", "made"}));
  v.field("hidden", o.made.hidden, "made: hidden layer sizes; nade: hidden[0] units",
          between(1, 100000));
  v.check(!o.made.hidden.empty(), "hidden", "needs at least one layer");
  v.field("activation", o.made.activation, "made: activation", one_of(activation_names()));
  v.field("ordering", o.made.ordering, "made: input ordering (random: a new one per mask set)",
          one_of({"natural", "random"}));
  v.field("num_masks", o.made.num_masks, "made: mask sets cycled through in training",
          between(1, 1000));
  v.field("ensemble", o.ensemble, "made: mask sets averaged at test time", between(1, 1000));
  v.check(o.ensemble <= o.made.num_masks, "ensemble", "must be in [1, num_masks]");
  v.field("direct", o.made.direct, "made: direct input-to-output connections");
  v.field("samples", o.samples, "images sampled into /samples/images", between(0, 100000));
}

}  // namespace genlab
