// An exclusive lock on a run file while one process writes it: RUN.lock beside the file,
// created with O_CREAT | O_EXCL and holding the writer's host, pid and start time. HDF5's
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

class RunLock {
 public:
  enum class Stale { refuse, take_over };
  // Throws std::runtime_error naming the holder and the choices when the lock is held.
  // take_over: a lock of a process on this host that no longer exists is replaced, and a
  // line about it goes to `notice`.
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
