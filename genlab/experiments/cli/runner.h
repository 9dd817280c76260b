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

#include "genlab/core/device.h"
#include "genlab/core/distributed/communicator.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/run/run_status.h"
#include "genlab/experiments/eval/variants_table.h"

namespace genlab {

struct RunSummary {
  std::string path;
  std::string status;  // completed | interrupted
  std::vector<SummaryRow> variants;
};

struct RunOptions {
  // Continue (or extend) the run in this file from its latest /checkpoint; with the same
  // config and thread count the result equals an uninterrupted run bitwise (timings aside).
  std::string resume;
  bool overwrite = false;    // replace an existing output.path
  std::string command_line;  // stored in the run file (and beside it in its own folder)
  // The ranks training this model together (data parallelism, issue 16); null: world(),
  // the MPI job this process belongs to (one process without one). Every rank calls
  // run_experiment with the same config; rank 0 alone writes the run file, its log and
  // the console, and returns the summary the others return too.
  const Communicator* comm = nullptr;
};

// The run holds RUN.lock while it writes (run_lock.h); the run file is created only once
// the data and the model are built, so a typo there leaves no file behind.
RunSummary run_experiment(const ExperimentConfig& config, std::ostream& out,
                          const RunOptions& options = {});
inline RunSummary run_experiment(const ExperimentConfig& config, std::ostream& out,
                                 const std::string& resume_path) {
  RunOptions options;
  options.resume = resume_path;
  return run_experiment(config, out, options);
}

// `genlab sample`: reloads the model (sampling weights) and config from a run file,
// samples one more variant from the run's initial noise and adds it to /variants.
// `device` overrides the run's `device:` key (empty: the run's); `threads` >= 0 overrides
// the run's `threads:` (0: auto; -1: the run's own key, applied as `genlab run` does).
SummaryRow add_variant(const std::string& path, const std::string& sampler,
                       const std::vector<std::string>& settings, std::ostream& out,
                       const std::string& device = "", int threads = -1);

// Opens the device of a `device:` value (cpu, cuda, cuda:N): selects the GPU and loads the
// CUDA backend, so a missing driver fails here, before any file is written, with
// "device: cuda requested, but no CUDA driver/GPU was found". Returns the parsed device.
DeviceSpec open_device(const std::string& device);

}  // namespace genlab
