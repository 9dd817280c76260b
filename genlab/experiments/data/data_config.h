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

struct ExperimentConfig;
// The `data:` section of the experiment being read (ConfigReader::context()), for the
// checks a family's or data set's fields() make against it; defined with the experiment's
// config, which this room does not include.
const DataConfig& data_of(const ExperimentConfig* experiment);

}  // namespace genlab
