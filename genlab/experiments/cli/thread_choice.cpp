#include "genlab/experiments/cli/thread_choice.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "genlab/experiments/eval/variants_table.h"

namespace genlab {

int other_runnable_processes() {
  int fewest = -1;
  for (int i = 0; i < 5; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in("/proc/stat");
    std::string key;
    int running = -1;
    for (std::string line; std::getline(in, line);) {
      std::istringstream s(line);
      if (s >> key && key == "procs_running") s >> running;
    }
    if (running < 0) return 0;
    fewest = fewest < 0 ? running : std::min(fewest, running);
  }
  return std::max(0, fewest - 1);  // this process is running too
}

ThreadChoice choose_threads(double work) {
  const int cores = omp_get_num_procs();
  if (work < kMultiplyAddsForSeveralThreads)
    return {1, "threads: 1 (auto: " + format_number(work) +
                   " multiply-adds a step is too little work to share; set threads: N to choose)"};
  const int busy = other_runnable_processes();
  const int free_cores = std::max(1, cores - busy);
  return {free_cores, "threads: " + std::to_string(free_cores) + " (auto: " + format_number(work) +
                          " multiply-adds a step, " + std::to_string(cores) + " cores, " +
                          std::to_string(busy) +
                          " other runnable processes; set threads: N to choose)"};
}

}  // namespace genlab
