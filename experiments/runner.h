// The experiment runner: one resolved config -> data, family, training with progress,
// periodic evaluation and checkpoints -> the family's results -> every sampler variant
// from the same initial noise -> the PF-ODE likelihood -> one HDF5 run file (docs/DESIGN.md
// contract 3). It knows no family: it trains a Family and samples its SamplingTarget.
// Ctrl-C stops at the next step and marks the file "interrupted"; an error marks it
// "failed" (with the message) and is rethrown.
//
//   RunSummary r = run_experiment(load_experiment_config("configs/quickstart.yaml"), std::cout);
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "experiments/config/experiment_config.h"
#include "experiments/run_file.h"
#include "experiments/run_status.h"
#include "experiments/variants_table.h"

namespace genlab {

struct RunSummary {
  std::string path;
  std::string status;  // completed | interrupted
  std::vector<SummaryRow> variants;
};

// resume_path: continue the run in that file from its latest /checkpoint (same config and
// thread count); the result equals an uninterrupted run bitwise (timings aside).
RunSummary run_experiment(const ExperimentConfig& config, std::ostream& out,
                          const std::string& resume_path = "");

// `genlab sample`: reloads the model (sampling weights) and config from a run file,
// samples one more variant from the run's initial noise and adds it to /variants.
SummaryRow add_variant(const std::string& path, const std::string& sampler,
                       const std::vector<std::string>& settings, std::ostream& out);

}  // namespace genlab
