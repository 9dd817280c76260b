#include "genlab/core/distributed/communicator.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace genlab {
namespace {

std::atomic<bool> g_stop_signal{false};
static_assert(std::atomic<bool>::is_always_lock_free, "note_stop_signal() runs in a signal handler");

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string kind() const override { return "single"; }
  void allreduce_sum(float*, int64_t) const override {}
  void allreduce_sum(double*, int64_t) const override {}
  void broadcast(std::string&, int) const override {}
  std::vector<std::string> allgather(const std::string& bytes) const override { return {bytes}; }
  void barrier() const override {}
  [[noreturn]] void abort(int code) const override { std::exit(code); }
};

}  // namespace

void note_stop_signal(bool noted) { g_stop_signal.store(noted); }
bool stop_signal_noted() { return g_stop_signal.load(); }

const Communicator& single_process() {
  static const SingleProcess single;
  return single;
}

RowShare row_share(int64_t global_rows, int rank, int size) {
  const int64_t base = global_rows / size, extra = global_rows % size;
  RowShare s;
  s.count = base + (rank < extra ? 1 : 0);
  s.first = rank * base + std::min<int64_t>(rank, extra);
  return s;
}

#ifndef GENLAB_WITH_MPI
const Communicator& world() { return single_process(); }
void init_world(int*, char***) {
  // K copies of a binary without MPI would each train alone, all into the same output.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* size = std::getenv(v); size && std::atoi(size) > 1)
      throw std::runtime_error(std::string("started by an MPI launcher (") + v + "=" + size +
                               "), but this genlab was built without MPI: each process would run "
                               "alone. Install libopenmpi-dev and configure again (GENLAB_MPI=ON)");
}
bool built_with_mpi() { return false; }
#endif

bool built_with_nccl() {
#ifdef GENLAB_WITH_NCCL
  return true;  // genlab_nccl (nccl_allreduce.h) was built beside this library
#else
  return false;
#endif
}

}  // namespace genlab
