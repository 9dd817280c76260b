// The `data:` section: which data set, and that data set's own keys. The data room owns
// it, and the experiment's config includes it (never the reverse), so data/ reads no
// other section.
#pragma once

#include <string>

#include "genlab/experiments/config/schema.h"

namespace genlab {

struct DataConfig {
  std::string name = "moons";  // one of dataset_names() (genlab/experiments/data/datasets.h)
  ChosenOptions options;          // the data set's own keys (images: ImageDataOptions, ...)
};

}  // namespace genlab
