// MPI_COMM_WORLD behind the Communicator interface (built when CMake finds MPI).
// The C API only: Open MPI's and MPICH's deprecated C++ bindings would need their own
// library at link time.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "genlab/core/distributed/communicator.h"

namespace genlab {
namespace {

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

std::string this_host() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// Whether process `pid` of this host has ended: gone, or a zombie its launcher has not
// reaped yet (kill(pid, 0) succeeds on those).
bool process_gone(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return true;
  const size_t close = line.rfind(')');  // the name in parentheses may hold spaces
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Who the partners are, for the liveness check after a stop signal (PartnerLost).
    const std::string me = this_host() + "\n" + std::to_string(static_cast<long>(getpid()));
    const std::vector<std::string> all = allgather(me);
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      const size_t cut = all[r].rfind('\n');
      if (all[r].substr(0, cut) == this_host())
        local_partners_.push_back({r, std::atol(all[r].c_str() + cut + 1)});
      else
        remote_partner_ = true;
    }
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string kind() const override { return "mpi"; }

  void allreduce_sum(float* data, int64_t n) const override { ordered_sum(data, n, MPI_FLOAT); }
  void allreduce_sum(double* data, int64_t n) const override { ordered_sum(data, n, MPI_DOUBLE); }

  void broadcast(std::string& bytes, int root) const override {
    long long n = static_cast<long long>(bytes.size());
    MPI_Request req;
    check(MPI_Ibcast(&n, 1, MPI_LONG_LONG, root, MPI_COMM_WORLD, &req), "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
    bytes.resize(static_cast<size_t>(n));
    for (long long at = 0; at < n; at += INT_MAX) {
      const int part = static_cast<int>(std::min<long long>(INT_MAX, n - at));
      check(MPI_Ibcast(bytes.data() + at, part, MPI_BYTE, root, MPI_COMM_WORLD, &req), "MPI_Ibcast");
      wait(req, "MPI_Ibcast");
    }
  }

  std::vector<std::string> allgather(const std::string& bytes) const override {
    if (bytes.size() > static_cast<size_t>(INT_MAX))
      throw std::runtime_error("MPI allgather: more than 2 GiB from one rank");
    const int mine = static_cast<int>(bytes.size());
    std::vector<int> counts(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    MPI_Request req;
    check(MPI_Iallgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD, &req), "MPI_Iallgather");
    wait(req, "MPI_Iallgather");
    long long total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[r] = static_cast<int>(total);
      total += counts[r];
    }
    if (total > INT_MAX) throw std::runtime_error("MPI allgather: more than 2 GiB in all");
    std::string all(static_cast<size_t>(total), '\0');
    check(MPI_Iallgatherv(bytes.data(), mine, MPI_BYTE, all.data(), counts.data(), offsets.data(),
                          MPI_BYTE, MPI_COMM_WORLD, &req),
          "MPI_Iallgatherv");
    wait(req, "MPI_Iallgatherv");
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r) out.push_back(all.substr(offsets[r], counts[r]));
    return out;
  }

  void barrier() const override {
    MPI_Request req;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &req), "MPI_Ibarrier");
    wait(req, "MPI_Ibarrier");
  }
  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  // The sum as a reduce-scatter and an allgather, written out so that the order is ours:
  // the vector is cut into `size` chunks (row_share); every rank sends chunk j to rank j
  // (MPI_Alltoallv), rank j adds the pieces it receives in rank order, ((x0 + x1) + x2)
  // + ..., and MPI_Allgatherv hands every rank all summed chunks. The result is the same
  // bits on every rank and in every run whatever algorithms the library picks, and each
  // rank sends and receives 2 (K - 1) / K of the vector, as a ring allreduce does.
  // (MPI_SUM leaves the order to the library; a non-commutative user operation fixes it,
  // but Open MPI then reduces to one rank and broadcasts: 30x slower at 3 MB, measured.)
  template <class T>
  void ordered_sum(T* data, int64_t n, MPI_Datatype type) const {
    if (n <= 0) return;
    if (n > INT_MAX) throw std::runtime_error("MPI allreduce: more than 2^31 values (MPI's int counts)");
    std::vector<int> counts(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      const RowShare c = row_share(n, r, size_);
      counts[r] = static_cast<int>(c.count), offsets[r] = static_cast<int>(c.first);
    }
    const int mine = counts[rank_];
    // pieces[r * mine + i]: rank r's value i of my chunk.
    std::vector<T> pieces(static_cast<size_t>(mine) * static_cast<size_t>(size_));
    std::vector<int> recv_counts(static_cast<size_t>(size_), mine), recv_offsets(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) recv_offsets[r] = r * mine;
    MPI_Request req;
    check(MPI_Ialltoallv(data, counts.data(), offsets.data(), type, pieces.data(), recv_counts.data(),
                         recv_offsets.data(), type, MPI_COMM_WORLD, &req),
          "MPI_Ialltoallv");
    wait(req, "MPI_Ialltoallv");
    std::vector<T> sum(pieces.begin(), pieces.begin() + mine);
    for (int r = 1; r < size_; ++r) {
      const T* p = pieces.data() + static_cast<size_t>(r) * static_cast<size_t>(mine);
      for (int i = 0; i < mine; ++i) sum[i] += p[i];
    }
    check(MPI_Iallgatherv(sum.data(), mine, type, data, counts.data(), offsets.data(), type, MPI_COMM_WORLD, &req),
          "MPI_Iallgatherv");
    wait(req, "MPI_Iallgatherv");
  }

  // Completes a nonblocking collective (each is started nonblocking so that a rank whose
  // partner died can stop waiting: PartnerLost in communicator.h). Polling MPI_Test is
  // what a blocking call does inside the library too.
  void wait(MPI_Request& req, const char* what) const {
    using Clock = std::chrono::steady_clock;
    int done = 0;
    Clock::time_point stop_seen{}, last_look{};
    for (long polls = 0;; ++polls) {
      check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      if (polls > 1000) std::this_thread::yield();  // a long wait: leave the core to others
      if (!stop_signal_noted()) continue;
      const auto now = Clock::now();
      if (stop_seen == Clock::time_point{}) stop_seen = now;
      if (now - last_look < std::chrono::milliseconds(5)) continue;
      last_look = now;
      for (const auto& [rank, pid] : local_partners_)
        if (process_gone(pid))
          throw PartnerLost("rank " + std::to_string(rank) + " (pid " + std::to_string(pid) +
                            ") ended while rank " + std::to_string(rank_) + " waited for it in " + what +
                            "; the job is being stopped");
      if (remote_partner_ && now - stop_seen > std::chrono::milliseconds(500))
        throw PartnerLost("stopped by a signal while rank " + std::to_string(rank_) + " waited " + "in " + what +
                          " for ranks on other hosts, which did not answer within 0.5 s; the job is being "
                          "stopped");
    }
  }

  int rank_ = 0, size_ = 1;
  struct Partner {
    int rank;
    long pid;
  };
  std::vector<Partner> local_partners_;  // ranks on this host
  bool remote_partner_ = false;          // a rank on another host
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
