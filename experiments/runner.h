// The experiment runner: one resolved config -> data, model, training with progress and
// periodic evaluation -> every sampler variant from the same initial noise -> metrics ->
// one HDF5 run file (DESIGN.md contract 3). Ctrl-C stops at the next step and marks the
// file "interrupted"; an error marks it "failed" (with the message) and is rethrown.
//
//   RunSummary r = run_experiment(load_experiment_config("configs/quickstart.yaml"), std::cout);
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "experiments/config/experiment_config.h"
#include "experiments/run_file.h"
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

// `genlab sample`: reloads the model (EMA weights) and config from a run file, samples one
// more variant from the run's initial noise and adds it to /variants; nothing else changes.
SummaryRow add_variant(const std::string& path, const SamplerVariant& variant, std::ostream& out);

// The status attribute, except that a "running" file written on this host by a process
// that no longer exists (killed, crashed) reads "interrupted (...)".
std::string effective_status(const std::map<std::string, std::string>& attrs);

}  // namespace genlab
