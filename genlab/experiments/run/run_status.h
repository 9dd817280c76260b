// The life of a run file: creating it with the run's identity, reopening it to resume,
// the status a reader should believe, and the signal guard that turns Ctrl-C and SIGTERM
// into a stop at the next step.
#pragma once

#include <atomic>
#include <csignal>
#include <map>
#include <stdexcept>
#include <string>

#include "genlab/experiments/config/experiment_config.h"
#include "genlab/experiments/run/run_file.h"

namespace genlab {

std::string utc_now();
std::string host_name();

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

// The run file a user names: RUN.h5 itself, or a run's folder (or its `latest` link)
// holding run.h5. Errors say what was found instead.
std::string resolve_run_path(const std::string& path);

// The config stored in a run file (its resolved config_yaml), with overrides on top: what
// `genlab run --resume RUN` continues with when no config file is given.
ExperimentConfig stored_config(const std::string& run_path, const std::vector<std::string>& overrides = {});

// The current git commit of the source tree this binary was built from (read at build
// time, on every build) and whether that tree had uncommitted changes.
std::string git_commit();
bool git_dirty();

// The status attribute, except that a "running" file written on this host by a process
// that no longer exists (killed, crashed) reads "interrupted (...)".
std::string effective_status(const std::map<std::string, std::string>& attrs);

// While alive, the first SIGINT or SIGTERM sets stop_requested() instead of ending the
// process (the runner then writes a checkpoint and stops); a second one ends the process
// at once (exit status 130), printing `resume_hint` (set_resume_hint) to stderr. The
// previous handlers come back when it goes out of scope, error or not.
class StopSignalGuard {
 public:
  StopSignalGuard();
  ~StopSignalGuard();
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;
  static bool stop_requested();
  // What the second signal prints before the process ends ("resume with: ..."); kept in a
  // fixed buffer, since a signal handler may not allocate.
  static void set_resume_hint(const std::string& text);

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// Thrown where a stop request ends work that has no step boundary to stop at (a variant
// half-sampled): the runner marks the run interrupted, not failed.
class RunInterrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace genlab
