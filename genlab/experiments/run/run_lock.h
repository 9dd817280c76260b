// An exclusive lock on a run file while one process writes it: RUN.lock beside the file's
// real name (symlinks and relative names resolved, so every name of the file finds the
// same lock), created with O_CREAT | O_EXCL and holding the writer's host, pid, the time
// and the process's start time (a pid reused by another process is then told apart). HDF5's
// own locks stay off so notebooks can read a live run; this lock only keeps a second
// writer (a run to the same path, a --resume of a live run, a second `genlab sample`)
// from mixing into the file. A lock whose writer is gone (killed, crashed) is reported,
// never taken over silently: only --resume takes it over, and says so.
//
//   RunLock lock(path, RunLock::Stale::refuse);   // throws if another writer holds it
#pragma once

#include <ostream>
#include <string>

namespace genlab {

// A lock file's text: "host pid time [start]" (start: the process's start in clock ticks
// since boot). A text that is not that (empty, garbage, a pid that is not a positive
// number of at most 9 digits) names no writer: readable() is false.
struct LockHolder {
  std::string host, since, started;
  long pid = 0;
  bool readable() const { return !host.empty() && pid > 0; }
};
LockHolder parse_lock_text(const std::string& text);
std::string lock_text(const LockHolder& holder);

// The lock file of a run file: its real path + ".lock".
std::string lock_path_for(const std::string& run_path);

class RunLock {
 public:
  enum class Stale { refuse, take_over };
  // Throws std::runtime_error naming the holder and the choices when the lock is held.
  // take_over: a lock of a process on this host that no longer exists is replaced, and a
  // line about it goes to `notice`.
  // A lock that names no writer, or a stale one with no run file beside it, is replaced
  // (with a line to `notice`) whatever `stale` says.
  RunLock(const std::string& run_path, Stale stale, std::ostream* notice = nullptr);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  const std::string& lock_path() const { return lock_path_; }

 private:
  std::string lock_path_;
};

// "host pid utc" of the lock's holder, or "" when the file is not locked.
std::string lock_holder(const std::string& run_path);

}  // namespace genlab
