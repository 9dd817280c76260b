// `genlab run CONFIG --smoke`: the config's quick form. It runs every phase the full
// experiment runs (training with a periodic evaluation and a checkpoint, the variants, the
// likelihood, the family's results, the metrics) at sizes that take about a minute on 2
// cores, so a config can be tried, and tested, before its real run.
//
// The quick form is a list of overrides, in this order (later ones win): genlab's own
// quick settings for the run's sections (train, evaluate, name), the data set's and the
// family's for their keys (DatasetSpec::smoke, FamilySpec::smoke), the config's own
// `smoke:` list, then the command line. The run file records them as its command line.
//
//   auto overrides = smoke_overrides(load_experiment_config(path));  // then load again with them
#pragma once

#include <string>
#include <vector>

#include "genlab/experiments/experiment_config.h"

namespace genlab {

// The overrides of the quick form of `c` (read with the user's own overrides, which the
// caller appends after these so that they win).
std::vector<std::string> smoke_overrides(const ExperimentConfig& c);
// (The data sets' and families' smoke rows build theirs with cap_override,
// config/yaml_section.h.)

}  // namespace genlab
