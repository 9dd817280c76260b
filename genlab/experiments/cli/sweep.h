// Sweeps (`genlab run CONFIG --multirun a=1,2 b=x,y`): the Cartesian product of the
// comma-separated override values, one run per point and a tab-separated index (the run
// file's path relative to the index, then the point's overrides) that python's
// load_runs(index) reads. Without output.path a sweep gets its own folder,
// output.folder/<name>/multirun_<UTC date>_<time>[_n]/ with 000/run.h5, 001/run.h5, ...
// and index.tsv; with output.path, <stem>_000.h5 ... and <stem>_index.tsv beside it,
// refused when any of them exists (unless --overwrite). No sweep writes over another.
//
// On a cluster (issue 16): under `mpirun -np K` the points are spread over the ranks
// (point i on rank i mod K, each point one process) and rank 0 writes the index once all
// are done; `--emit slurm` writes a Slurm array job script (one array task per point)
// and the index instead of running anything.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "genlab/core/distributed/communicator.h"

namespace genlab {

// ["a=1,2", "b=x"] -> [["a=1", "b=x"], ["a=2", "b=x"]] (the last key varies fastest).
std::vector<std::vector<std::string>> expand_sweep(const std::vector<std::string>& overrides);

struct SweepOptions {
  bool overwrite = false;
  std::string command_line{};
  const Communicator* comm = nullptr;  // null: world()
  std::string emit{};                  // "slurm": write the array job script instead of running
  std::string genlab_binary = "genlab";  // what the script runs (main: this executable)
  // --emit slurm: optional #SBATCH --time, --mem and --partition (slurm_script.h).
  std::string slurm_time{}, slurm_mem{}, slurm_partition{};
};

// Runs every point; returns the index file's path (with emit: the script's). Each point's
// config is validated before any runs, so a bad value fails the sweep up front.
std::string run_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::ostream& out, const SweepOptions& options = {});

}  // namespace genlab
