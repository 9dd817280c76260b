// The processes that train one model together (issue 16): a rank among `size`, and the
// few collectives data-parallel training needs. `world()` is MPI_COMM_WORLD when genlab
// was built with MPI and launched by an MPI launcher (mpirun, srun), and one process
// otherwise, so every caller is written once for both.
//
// Every collective is deterministic: sums combine the ranks' values in rank order
// (0 + 1 + 2 ...), whatever the MPI library's algorithm, so K ranks give the same bits
// run after run. Every rank must call each collective in the same order.
//
//   const Communicator& comm = world();
//   comm.allreduce_sum(grads.data(), n);          // in place, the same bits on every rank
//   auto all = comm.allgather(my_bytes);          // all[r]: rank r's bytes
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace genlab {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string kind() const = 0;  // "single" | "mpi"

  // Elementwise sums over the ranks, in place; the result is bitwise the same on every
  // rank and from run to run.
  virtual void allreduce_sum(float* data, int64_t n) const = 0;
  virtual void allreduce_sum(double* data, int64_t n) const = 0;
  // Rank `root`'s bytes on every rank.
  virtual void broadcast(std::string& bytes, int root = 0) const = 0;
  // Every rank's bytes on every rank, in rank order.
  virtual std::vector<std::string> allgather(const std::string& bytes) const = 0;
  virtual void barrier() const = 0;
  // Ends every process of the job after an error on this one (a rank that throws while
  // the others wait in a collective would otherwise hang the job).
  [[noreturn]] virtual void abort(int code) const = 0;
};

// A collective abandoned because a partner rank is gone: a launcher that saw one rank die
// (Open MPI's mpirun) sends the others SIGTERM and, a second later, SIGKILL, while they
// wait in a collective that can no longer complete. Once a stop signal was noted
// (note_stop_signal()), a waiting rank checks its partners: a partner process on this
// host that is gone, or a wait of more than half a second when a partner runs on another
// host, ends the wait with this error, so that the run can record its failure and release
// its lock before the SIGKILL. A graceful stop (every rank signalled, every rank alive, as
// Slurm's scancel does) completes its collectives as usual.
class PartnerLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called from a SIGINT/SIGTERM handler (async-signal-safe: one lock-free atomic store);
// `false` when a new run arms its handler.
void note_stop_signal(bool noted = true);
bool stop_signal_noted();

// One process: the collectives are identities.
const Communicator& single_process();

// MPI_COMM_WORLD once init_world() found an MPI launch, else single_process().
const Communicator& world();

// Called first thing by main(): starts MPI when this binary has it and an MPI launcher
// started the process (the launcher's environment says so). Idempotent. MPI is finalized
// at exit. A binary without MPI started as one of several ranks throws, saying so.
void init_world(int* argc, char*** argv);

// Whether this build has MPI (GENLAB_WITH_MPI) and NCCL (GENLAB_WITH_NCCL).
bool built_with_mpi();
bool built_with_nccl();

// The rows [first, first + count) of a global batch of `global_rows` that rank `rank` of
// `size` takes: contiguous shares in rank order, the first (global_rows % size) ranks
// one row more.
struct RowShare {
  int64_t first = 0, count = 0;
};
RowShare row_share(int64_t global_rows, int rank, int size);

}  // namespace genlab
