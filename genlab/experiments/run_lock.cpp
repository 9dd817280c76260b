#include "genlab/experiments/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "genlab/experiments/run_status.h"

namespace genlab {
namespace {

struct Holder {
  std::string host, since;
  long pid = 0;
};

Holder read_holder(const std::string& lock_path) {
  std::ifstream in(lock_path);
  Holder h;
  in >> h.host >> h.pid >> h.since;
  return h;
}

bool alive_here(const Holder& h) {
  return h.pid > 0 && (kill(static_cast<pid_t>(h.pid), 0) == 0 || errno == EPERM);
}

// Creates the lock file exclusively; false when it exists.
bool try_create(const std::string& lock_path) {
  const int fd = open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error(lock_path + ": cannot create the run's lock file (" +
                             std::strerror(errno) + ")");
  }
  const std::string text = host_name() + " " + std::to_string(getpid()) + " " + utc_now() + "\n";
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok) {
    unlink(lock_path.c_str());
    throw std::runtime_error(lock_path + ": cannot write the run's lock file");
  }
  return true;
}

}  // namespace

RunLock::RunLock(const std::string& run_path, Stale stale, std::ostream* notice)
    : lock_path_(run_path + ".lock") {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (try_create(lock_path_)) return;
    const Holder h = read_holder(lock_path_);
    const std::string who = "pid " + std::to_string(h.pid) + " on host " + h.host +
                            (h.since.empty() ? "" : " since " + h.since);
    if (h.host != host_name())
      throw std::runtime_error(run_path + " is locked by " + who + " (" + lock_path_ +
                               "); this host cannot tell whether that process still runs: "
                               "delete the lock file only if it does not");
    if (alive_here(h) && h.pid != getpid())
      throw std::runtime_error(run_path + " is being written by " + who + " (" + lock_path_ +
                               "); wait for it to end, or stop it, before writing this file");
    if (stale == Stale::refuse || attempt > 0)
      throw std::runtime_error(
          run_path + " has a stale lock: its writer, " + who +
          ", is no longer running (killed or crashed). `genlab run --resume " + run_path +
          "` continues that run and takes the lock over; delete " + lock_path_ +
          " only if you know no process writes the file");
    if (notice)
      *notice << "taking over the stale lock of " << who << " (no longer running)\n";
    unlink(lock_path_.c_str());
  }
}

RunLock::~RunLock() {
  unlink(lock_path_.c_str());
}

std::string lock_holder(const std::string& run_path) {
  std::ifstream in(run_path + ".lock");
  if (!in) return "";
  std::string line;
  std::getline(in, line);
  return line.empty() ? "(unreadable lock)" : line;
}

}  // namespace genlab
