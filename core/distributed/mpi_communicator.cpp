// MPI_COMM_WORLD behind the Communicator interface (built when CMake finds MPI).
// The C API only: Open MPI's and MPICH's deprecated C++ bindings would need their own
// library at link time.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>

#include "genlab/core/distributed/communicator.h"

namespace genlab {
namespace {

// inout = in + inout, where `in` holds the lower ranks' partial sum. Declared
// non-commutative, so MPI must combine the ranks in rank order: the result does not
// depend on which algorithm the library picks for the message size, and is the same run
// after run (issue 16's determinism).
template <class T>
void ordered_sum(void* in, void* inout, int* len, MPI_Datatype*) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = a[i] + b[i];
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    check(MPI_Op_create(&ordered_sum<float>, /*commute=*/0, &sum_float_), "MPI_Op_create");
    check(MPI_Op_create(&ordered_sum<double>, /*commute=*/0, &sum_double_), "MPI_Op_create");
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string kind() const override { return "mpi"; }

  void allreduce_sum(float* data, int64_t n) const override { reduce(data, n, MPI_FLOAT, sum_float_); }
  void allreduce_sum(double* data, int64_t n) const override { reduce(data, n, MPI_DOUBLE, sum_double_); }

  void broadcast(std::string& bytes, int root) const override {
    long long n = static_cast<long long>(bytes.size());
    check(MPI_Bcast(&n, 1, MPI_LONG_LONG, root, MPI_COMM_WORLD), "MPI_Bcast");
    bytes.resize(static_cast<size_t>(n));
    for (long long at = 0; at < n; at += INT_MAX) {
      const int part = static_cast<int>(std::min<long long>(INT_MAX, n - at));
      check(MPI_Bcast(bytes.data() + at, part, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
  }

  std::vector<std::string> allgather(const std::string& bytes) const override {
    if (bytes.size() > static_cast<size_t>(INT_MAX))
      throw std::runtime_error("MPI allgather: more than 2 GiB from one rank");
    const int mine = static_cast<int>(bytes.size());
    std::vector<int> counts(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    long long total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[r] = static_cast<int>(total);
      total += counts[r];
    }
    if (total > INT_MAX) throw std::runtime_error("MPI allgather: more than 2 GiB in all");
    std::string all(static_cast<size_t>(total), '\0');
    check(MPI_Allgatherv(bytes.data(), mine, MPI_BYTE, all.data(), counts.data(), offsets.data(),
                         MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r) out.push_back(all.substr(offsets[r], counts[r]));
    return out;
  }

  void barrier() const override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  void reduce(void* data, int64_t n, MPI_Datatype type, MPI_Op op) const {
    const size_t width = type == MPI_FLOAT ? sizeof(float) : sizeof(double);
    for (int64_t at = 0; at < n; at += INT_MAX) {
      const int part = static_cast<int>(std::min<int64_t>(INT_MAX, n - at));
      check(MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(data) + at * width, part, type, op,
                          MPI_COMM_WORLD),
            "MPI_Allreduce");
    }
  }
  int rank_ = 0, size_ = 1;
  MPI_Op sum_float_, sum_double_;
};

// The environment an MPI launcher gives its processes (Open MPI, PMIx, PMI-1/2 of MPICH,
// Intel MPI and Slurm's srun --mpi=...).
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

const MpiWorld* the_world = nullptr;

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

void init_world(int* argc, char*** argv) {
  if (the_world || !launched_by_mpi()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    // OpenMP threads compute; only the main thread calls MPI.
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit(finalize_at_exit);
  }
  the_world = new MpiWorld();  // lives until exit: MPI is finalized after every user
}

const Communicator& world() {
  if (the_world) return *the_world;
  return single_process();
}

bool built_with_mpi() { return true; }

}  // namespace genlab
