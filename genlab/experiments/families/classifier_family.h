// The classifier family: the small CNN of genlab/models/classifier trained on labeled gray-level
// images (cross-entropy, Adam). It exists to produce the feature extractor of the image
// metrics: validation accuracy at each evaluation; at the end the test accuracy and the
// classifier file `classifier.h5` beside the run file (genlab/experiments/eval/image_metrics.h), which
// configs/fmnist_classifier.yaml makes into the committed genlab/models/classifier/fmnist_classifier.h5.
#pragma once

#include "genlab/experiments/config/schema.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/classifier/image_classifier.h"

namespace genlab {

template <class V>
void fields(V& v, ImageClassifierOptions& o) {
  if constexpr (V::reading)
    v.check(is_continuous_image_data(data_of(v.context())), "family",
            "the classifier family needs labeled gray-level images (data.binarize: none)");
  v.field("channels", o.channels, "conv 3x3 channels per level; each level halves the image",
          between(1, 4096));
  v.check(!o.channels.empty() && o.channels.size() <= 6, "channels", "needs 1 to 6 levels");
  v.field("features", o.features, "the hidden layer: the image metrics' features", between(1, 65536));
}

}  // namespace genlab
