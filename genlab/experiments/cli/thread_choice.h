// How many threads a run uses when its config says `threads: 0` (auto). Small networks
// get one thread: waking a second costs more than it saves, and beside another busy
// process OpenMP's barriers make it 4x slower. GEMM-heavy ones get the cores that no other
// runnable process is using at the start, measured from /proc/stat: all of them on an idle
// machine, one on a busy one. bench/README.md "Threads" has the measurements.
//
//   const ThreadChoice t = choose_threads(multiply_adds_per_step);   // t.threads, t.why
#pragma once

#include <string>

namespace genlab {

struct ThreadChoice {
  int threads = 1;
  std::string why;  // one line for the log
};

// Below this many multiply-adds per training step, one thread.
inline constexpr double kMultiplyAddsForSeveralThreads = 5e7;

ThreadChoice choose_threads(double multiply_adds_per_step);

// Runnable processes on the machine besides this one (the fewest of a few samples of
// /proc/stat's procs_running, 10 ms apart); 0 where /proc/stat cannot be read.
int other_runnable_processes();

}  // namespace genlab
