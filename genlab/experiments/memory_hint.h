// What to change when a tensor does not fit in memory: the config keys whose values size it.
// Each dimension of the tensor's shape (OutOfMemory::shape) is matched against the resolved
// config's integer values and the data's values per example, so the error can say
// "model.net.width = 65536" instead of listing every size a config has.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genlab/experiments/experiment_config.h"

namespace genlab {

// "; sized by model.net.width (65536)", "; sized by train.batch_size (100000) and the data
// (784 values per example)", or, when nothing matches, the list of the usual suspects.
// data_dims <= 0: not known yet.
std::string memory_hint(const ExperimentConfig& c, const std::vector<int64_t>& shape, int64_t data_dims);

}  // namespace genlab
