#include "genlab/experiments/run/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/run/run_status.h"

namespace genlab {
namespace {

using Holder = LockHolder;

Holder read_holder(const std::string& lock_path) {
  std::ifstream in(lock_path, std::ios::binary);
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_lock_text(text);
}

// A process's start time (field 22 of /proc/PID/stat, clock ticks since boot), "" when it
// is not running or /proc does not say. With the pid it names one process: a pid reused
// after a crash or a reboot has another start time.
std::string start_time(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return field;
  return "";
}

bool alive_here(const Holder& h) {
  if (h.pid <= 0 || (kill(static_cast<pid_t>(h.pid), 0) != 0 && errno != EPERM)) return false;
  // Alive: the same process only if it started when the lock says (older locks: assume so).
  return h.started.empty() || start_time(h.pid).empty() || start_time(h.pid) == h.started;
}

// Creates the lock file exclusively; false when it exists.
bool try_create(const std::string& lock_path) {
  const int fd = open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error(lock_path + ": cannot create the run's lock file (" +
                             std::strerror(errno) + ")");
  }
  const std::string text = lock_text({host_name(), utc_now(), start_time(getpid()), getpid()});
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok) {
    unlink(lock_path.c_str());
    throw std::runtime_error(lock_path + ": cannot write the run's lock file");
  }
  return true;
}

}  // namespace

LockHolder parse_lock_text(const std::string& text) {
  std::vector<std::string> tokens;
  std::string token;
  for (const char ch : text) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      if (!token.empty()) tokens.push_back(token), token.clear();
    } else {
      token += ch;
    }
  }
  if (!token.empty()) tokens.push_back(token);
  auto printable = [](const std::string& t) {
    for (const char ch : t)
      if (static_cast<unsigned char>(ch) < 0x21 || ch == 0x7f) return false;
    return !t.empty();
  };
  auto digits = [](const std::string& t, size_t most) {
    if (t.empty() || t.size() > most) return false;
    for (const char ch : t)
      if (ch < '0' || ch > '9') return false;
    return true;
  };
  LockHolder h;
  if (tokens.size() < 2 || !printable(tokens[0]) || !digits(tokens[1], 9)) return h;  // names no writer
  h.host = tokens[0];
  h.pid = std::stol(tokens[1]);
  if (h.pid <= 0) return LockHolder{};
  // The fields keep their places: an unreadable time ("-" when written without one) is
  // empty, and the start time stays the fourth field.
  if (tokens.size() > 2 && printable(tokens[2]) && tokens[2] != "-") h.since = tokens[2];
  if (tokens.size() > 3 && digits(tokens[3], 20)) h.started = tokens[3];
  return h;
}

std::string lock_text(const LockHolder& h) {
  std::string s = h.host + " " + std::to_string(h.pid) + " " + (h.since.empty() ? std::string("-") : h.since);
  if (!h.started.empty()) s += " " + h.started;
  return s + "\n";
}

std::string lock_path_for(const std::string& run_path) {
  // By the file's real name: a symlink to it, ./x.h5 or x/../x.h5 find the same lock.
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::weakly_canonical(run_path, ec);
  return (ec ? run_path : real.string()) + ".lock";
}

RunLock::RunLock(const std::string& run_path, Stale stale, std::ostream* notice)
    : lock_path_(lock_path_for(run_path)) {
  const std::string real = lock_path_.substr(0, lock_path_.size() - 5);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (try_create(lock_path_)) {
      // The lock is ours, so no one writes this run: a staged copy beside it is the
      // leftover of a writer killed mid-write (run_file.h), never published.
      std::error_code ec;
      std::filesystem::remove(RunFile::staging_path(real), ec);
      return;
    }
    const Holder h = read_holder(lock_path_);
    const std::string who = "pid " + std::to_string(h.pid) + " on host " + h.host +
                            (h.since.empty() ? "" : " since " + h.since);
    std::error_code ec;
    // A lock that names no writer (empty, garbage), or a stale one with no run file beside
    // it, guards nothing: it is replaced, with a note.
    const bool orphan = !h.readable() || (h.host == host_name() && !alive_here(h) && !std::filesystem::exists(real, ec));
    if (orphan && attempt < 2) {
      if (notice)
        *notice << "replacing the lock " << lock_path_
                << (h.readable() ? " of " + who + " (no longer running, and no run file beside it)"
                                 : std::string(" (it names no writer)"))
                << "\n";
      unlink(lock_path_.c_str());
      continue;
    }
    if (h.host != host_name())
      throw std::runtime_error(run_path + " is locked by " + who + " (" + lock_path_ +
                               "); this host cannot tell whether that process still runs: "
                               "delete the lock file only if it does not");
    if (alive_here(h) && h.pid != getpid())
      throw std::runtime_error(run_path + " is being written by " + who + " (" + lock_path_ +
                               "); wait for it to end, or stop it, before writing this file");
    if (stale == Stale::refuse || attempt > 1)
      throw std::runtime_error(
          run_path + " has a stale lock: its writer, " + who +
          ", is no longer running (killed or crashed; a process with that pid now is another one). "
          "`genlab run --resume " + run_path + "` continues that run and takes the lock over; delete " + lock_path_ +
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
  std::ifstream in(lock_path_for(run_path));
  if (!in) return "";
  std::string line;
  std::getline(in, line);
  return line.empty() ? "(unreadable lock)" : line;
}

}  // namespace genlab
