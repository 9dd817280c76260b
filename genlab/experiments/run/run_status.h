// The life of a run file, whatever the config: the run's identity (time, host, commit),
// the run file a user names, the status a reader should believe, and the signal guard that
// turns Ctrl-C and SIGTERM into a stop at the next step. Creating and resuming a run from
// its config: genlab/experiments/run_setup.h.
#pragma once

#include <atomic>
#include <csignal>
#include <map>
#include <stdexcept>
#include <string>

#include "genlab/experiments/run/run_file.h"

namespace genlab {

std::string utc_now();
std::string host_name();

// The run file a user names: RUN.h5 itself, or a run's folder (or its `latest` link)
// holding run.h5. Errors say what was found instead.
std::string resolve_run_path(const std::string& path);

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
