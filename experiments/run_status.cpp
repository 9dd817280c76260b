#include "experiments/run_status.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "core/parallel.h"
#include "experiments/checkpoint.h"

#ifndef GENLAB_GIT_COMMIT
#define GENLAB_GIT_COMMIT "unknown"
#endif

namespace genlab {
namespace {

std::atomic<bool> g_stop{false};
void on_stop_signal(int) {
  g_stop = true;
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

RunFile create_run_file(const ExperimentConfig& c) {
  const std::filesystem::path path(c.output.path);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  RunFile file = RunFile::create(c.output.path,
                                 {{"genlab_version", "0.1.0"},
                                  {"git_commit", GENLAB_GIT_COMMIT},
                                  {"created_utc", utc_now()},
                                  {"host", host_name()},
                                  {"seed", std::to_string(c.seed)},
                                  {"threads", std::to_string(num_threads())},
                                  {"name", c.name}},
                                 to_yaml(c));
  file.set_attr("pid", std::to_string(getpid()));
  return file;
}

RunFile open_for_resume(const std::string& path, const ExperimentConfig& c) {
  RunFile file = RunFile::open(path);
  const auto attrs = file.attrs();
  if (!attrs.count("config_yaml") || attrs.at("config_yaml") != to_yaml(c))
    throw std::runtime_error(
        path +
        ": its stored config differs from this config (resume needs the same "
        "config and overrides; `genlab validate CONFIG --resolved` shows what it resolves to)");
  if (attrs.count("status") && attrs.at("status") == "completed")
    throw std::runtime_error(path + ": the run completed; nothing to resume");
  if (attrs.count("threads") && attrs.at("threads") != std::to_string(num_threads()))
    throw std::runtime_error(path + ": it ran with " + attrs.at("threads") +
                             " threads, this run has " + std::to_string(num_threads()) +
                             " (set `threads:`); results would differ");
  if (!has_checkpoint(file))
    throw std::runtime_error(path +
                             ": no checkpoint to resume from (the run stopped before its first "
                             "checkpoint); start it again without --resume");
  file.set_attr("resumed_utc", utc_now());
  file.set_attr("pid", std::to_string(getpid()));
  file.set_status("running");
  return file;
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

}  // namespace genlab
