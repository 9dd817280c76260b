#include "genlab/experiments/run/run_status.h"

#include "genlab/experiments/run/run_log.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "genlab/core/device.h"
#include "genlab/core/distributed/communicator.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/run/checkpoint.h"
#include "genlab/experiments/run/run_log.h"

#include "genlab_git_version.h"  // GENLAB_GIT_COMMIT, GENLAB_GIT_DIRTY: written on every build

namespace genlab {
namespace {

std::atomic<bool> g_stop{false};
// What the second signal prints; written before the guard is armed for the run's file.
char g_resume_hint[4096] = {0};
std::atomic<size_t> g_resume_hint_size{0};

// Async-signal-safe: only write(2) and _exit.
void on_stop_signal(int) {
  note_stop_signal();  // a rank waiting for a partner that died stops waiting (communicator.h)
  if (g_stop.exchange(true)) {
    static const char now[] = "\ngenlab: second signal: stopping now, without a new checkpoint\n";
    [[maybe_unused]] ssize_t w = write(STDERR_FILENO, now, sizeof now - 1);
    if (const size_t n = g_resume_hint_size.load()) w = write(STDERR_FILENO, g_resume_hint, n);
    _exit(130);
  }
  static const char first[] =
      "\ngenlab: stopping: the run writes a checkpoint and stops (a second Ctrl-C stops at once)\n";
  [[maybe_unused]] ssize_t w = write(STDERR_FILENO, first, sizeof first - 1);
}

}  // namespace

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string host_name() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string git_commit() {
  return GENLAB_GIT_COMMIT;
}

bool git_dirty() {
  return GENLAB_GIT_DIRTY;
}

std::string resolve_run_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::path(path).lexically_normal();
  if (p.has_parent_path() && p.filename().empty()) p = p.parent_path();  // "runs/x/latest/"
  if (fs::is_directory(p, ec)) {
    if (!fs::exists(p / "run.h5", ec))
      throw std::runtime_error(path + " is a folder without a run.h5 (a sweep's folder? name one "
                                      "of its runs, e.g. " + (p / "000" / "run.h5").string() + ")");
    p /= "run.h5";
  } else if (!fs::exists(p, ec)) {
    throw std::runtime_error(path + ": no such run file or run folder");
  }
  // Through a run's `latest` link to its own folder, so that messages, logs and resume
  // commands name the run itself, which the next run's `latest` will not.
  const fs::path folder = p.parent_path();
  if (!folder.empty() && fs::is_symlink(folder, ec)) {
    const fs::path target = fs::read_symlink(folder, ec);
    if (!ec) p = (target.is_absolute() ? target : folder.parent_path() / target) / p.filename();
  }
  return p.string();
}

std::string effective_status(const std::map<std::string, std::string>& attrs) {
  const std::string status = attrs.count("status") ? attrs.at("status") : "unknown";
  if (status != "running" || !attrs.count("pid") || !attrs.count("host") ||
      attrs.at("host") != host_name())
    return status;
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(attrs.at("pid")));
  } catch (const std::logic_error&) {
    return status;
  }
  return (kill(pid, 0) == 0 || errno == EPERM)
             ? "running"
             : "interrupted (the process ended without finishing)";
}

StopSignalGuard::StopSignalGuard() {
  g_stop = false;
  note_stop_signal(false);
  previous_int_ = std::signal(SIGINT, on_stop_signal);
  previous_term_ = std::signal(SIGTERM, on_stop_signal);
}

StopSignalGuard::~StopSignalGuard() {
  std::signal(SIGINT, previous_int_);
  std::signal(SIGTERM, previous_term_);
}

bool StopSignalGuard::stop_requested() {
  return g_stop;
}

void StopSignalGuard::set_resume_hint(const std::string& text) {
  g_resume_hint_size = 0;
  const size_t n = std::min(text.size(), sizeof g_resume_hint);
  std::memcpy(g_resume_hint, text.data(), n);
  g_resume_hint_size = n;
}

}  // namespace genlab
