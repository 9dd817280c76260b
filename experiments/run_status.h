// The life of a run file: creating it with the run's identity, reopening it to resume,
// the status a reader should believe, and the signal guard that turns Ctrl-C and SIGTERM
// into a stop at the next step.
#pragma once

#include <atomic>
#include <csignal>
#include <map>
#include <string>

#include "experiments/config/experiment_config.h"
#include "experiments/run_file.h"

namespace genlab {

std::string utc_now();
std::string host_name();

// Creates config.output.path (and its folder) with the root attributes and the resolved
// config; status "running", with this process's pid so readers can tell a dead writer.
RunFile create_run_file(const ExperimentConfig& c);
// Reopens a run to resume it: the stored config must equal this one, the run must not
// have completed, the thread count must match, and a checkpoint must exist.
RunFile open_for_resume(const std::string& path, const ExperimentConfig& c);

// The status attribute, except that a "running" file written on this host by a process
// that no longer exists (killed, crashed) reads "interrupted (...)".
std::string effective_status(const std::map<std::string, std::string>& attrs);

// While alive, SIGINT and SIGTERM set stop_requested() instead of ending the process;
// the previous handlers come back when it goes out of scope, error or not.
class StopSignalGuard {
 public:
  StopSignalGuard();
  ~StopSignalGuard();
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;
  static bool stop_requested();

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

}  // namespace genlab
