// A run file from its config: where a new run goes, creating it with the run's identity
// and resolved config, reopening it to resume (which config changes a resume takes), and
// the config a run file stored.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/run/run_file.h"

namespace genlab {

// Where a new run's file goes. output.path given: that path, refused when it exists
// unless `overwrite` (the error names the file and the choices). Otherwise a new folder
// output.folder/<name>/<UTC date>_<time>[_n]/ (never an existing one) holding run.h5,
// with output.folder/<name>/latest pointing to it.
std::string place_new_run(const ExperimentConfig& c, bool overwrite);

// Creates the run file (truncating one that --overwrite replaces) with the root
// attributes, the command line and the resolved config (output.path set to `path`);
// status "running", with this process's pid so readers can tell a dead writer. In a
// run's own folder, config.yaml and command.txt go beside it.
RunFile create_run_file(const ExperimentConfig& c, const std::string& path,
                        const std::string& command_line);

// Reopens a run to resume it. The stored config must equal this one except for
// output.*, a larger train.steps or train.epochs (extending the run, finished or not)
// and threads (then bitwise equality with an uninterrupted run is not promised, and the
// file says so in `resume_bitwise`); any other difference is an error naming each key
// with its stored and given values. A checkpoint must exist. Changes are logged to `out`.
// A different number of data-parallel ranks (world_size) is allowed: the global batch is
// the same, so only float rounding differs, and `resume_bitwise` says so as for threads.
RunFile open_for_resume(const std::string& path, const ExperimentConfig& c, std::ostream& out,
                        int world_size = 1);

// The config stored in a run file (its resolved config_yaml), with overrides on top: what
// `genlab run --resume RUN` continues with when no config file is given.
ExperimentConfig stored_config(const std::string& run_path, const std::vector<std::string>& overrides = {});

}  // namespace genlab
